import { z } from "zod";
import type { ParsedEvent } from "../../src/index.ts";
import { isPlainRecord, isoDateTimeSchema, parseIsoDateTime } from "../../src/provider-kit/index.ts";
import { canonicalEntityName, canonicalOperation } from "./entity-names.ts";
import { pushChangeEvents, type ParsedChange } from "./parse-classic.ts";
import { entryProblem, idText, quickIdText } from "./payload-schema.ts";

/** `qbo.<entity>.<operation>.v<n>`, e.g. `qbo.invoice.updated.v1` (Intuit's "Understanding the data object" page). */
const TYPE_PATTERN = /^qbo\.([A-Za-z][A-Za-z0-9]*)\.([A-Za-z]+)\.v\d+$/;

const cloudEventSchema = z.looseObject({
  specversion: z.string().min(1, { error: "must be a non-empty string" }),
  id: z.string().min(1, { error: "must be a non-empty string" }),
  type: z.string().regex(TYPE_PATTERN, { error: "must look like qbo.<entity>.<operation>.v<n>" }),
  // Optional in CloudEvents 1.0, and missing in one of Intuit's own parser test cases.
  time: isoDateTimeSchema.optional(),
  intuitentityid: idText,
  intuitaccountid: idText,
  data: z.record(z.string(), z.unknown()).nullish(),
});

/** Kept in the payload of an event whose CloudEvent has no `time`, so the log says so. */
export const TIME_FROM_RECEIPT = "the CloudEvent has no time: occurredAt is the delivery's receive time";

/**
 * CloudEvents format: a JSON array of CloudEvents 1.0 objects (a single object is accepted too, as
 * `application/cloudevents+json` structured mode allows). Each event is routed by its own
 * `intuitaccountid`; one delivery may name several companies. An event without `time` takes the
 * delivery's receive time, which is never earlier than the change, and its payload says so.
 */
export function parseCloudEvents(body: unknown, receivedAt: Date): ParsedChange {
  const list = Array.isArray(body) ? body : [body];
  const events: ParsedEvent[] = [];
  const dedupeParts: string[] = [];
  const reasons: string[] = [];
  const rejected: unknown[] = [];
  for (let index = 0; index < list.length; index += 1) {
    const asSent = list[index];
    // Each event on its own: one odd entry never sinks its neighbours.
    let event = quickCloudEvent(asSent);
    if (event === undefined) {
      const checked = entryProblem(cloudEventSchema, asSent, Array.isArray(body) ? [index] : []);
      if ("reason" in checked) {
        reasons.push(`quickbooks CloudEvents payload: ${checked.reason}`);
        rejected.push(asSent);
        continue;
      }
      event = checked.data;
    }
    const [, entity = "", op = ""] = TYPE_PATTERN.exec(event.type) ?? [];
    // Intuit says to de-duplicate on the CloudEvents id; retries resend the same id.
    dedupeParts.push(`cloudevents\u001f${event.id}`);
    pushChangeEvents(events, {
      format: "cloudevents",
      tenantId: event.intuitaccountid,
      entityType: canonicalEntityName(entity),
      entityId: event.intuitentityid,
      operation: canonicalOperation(op),
      occurredAt: event.time ?? receivedAt,
      mergedAwayId: readDeletedId(event.data),
      asSent,
      ...(event.time === undefined ? { timeNote: TIME_FROM_RECEIPT } : {}),
    });
  }
  if (reasons.length === 0) return { events, dedupeParts };
  return { events, dedupeParts, rejected: { body: rejected, reasons } };
}

interface CheckedCloudEvent {
  readonly id: string;
  readonly type: string;
  readonly time?: Date | undefined;
  readonly intuitentityid: string;
  readonly intuitaccountid: string;
  readonly data?: Record<string, unknown> | null | undefined;
}

/** `cloudEventSchema`'s output for an event that is plainly valid; undefined sends it through zod (which words any error). */
function quickCloudEvent(value: unknown): CheckedCloudEvent | undefined {
  if (!isPlainRecord(value)) return undefined;
  const { specversion, id, type, time: sentTime, data } = value;
  if (typeof specversion !== "string" || specversion === "" || typeof id !== "string" || id === "") return undefined;
  if (typeof type !== "string" || !TYPE_PATTERN.test(type)) return undefined;
  const intuitentityid = quickIdText(value.intuitentityid);
  const intuitaccountid = quickIdText(value.intuitaccountid);
  if (intuitentityid === undefined || intuitaccountid === undefined) return undefined;
  if (!(data === undefined || data === null || isPlainRecord(data))) return undefined;
  if (sentTime === undefined) return { id, type, intuitentityid, intuitaccountid, data };
  const time = typeof sentTime === "string" ? parseIsoDateTime(sentTime) : undefined;
  return time === undefined ? undefined : { id, type, time, intuitentityid, intuitaccountid, data };
}

/** Intuit's page spells it `deletedid`, other sources `deletedId`: read it case-insensitively. */
function readDeletedId(data: Record<string, unknown> | null | undefined): string | undefined {
  if (data === null || data === undefined) return undefined;
  for (const [key, value] of Object.entries(data)) {
    if (key.toLowerCase() !== "deletedid") continue;
    if (typeof value === "string" && value.trim() !== "") return value.trim();
    if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  }
  return undefined;
}
