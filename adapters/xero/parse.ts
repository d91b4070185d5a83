import { createHash } from "node:crypto";
import { z } from "zod";
import { WebhookPayloadError, type ParsedDelivery, type ParsedEvent, type ProviderRequest } from "../../src/index.ts";
import { decodeJsonBody, isoDateTimeSchema, parseIsoDateTime, quickText } from "../../src/provider-kit/index.ts";

const text = z.string().trim().min(1, { error: "must be a non-empty string" });

const eventSchema = z.looseObject({
  resourceId: text,
  eventDateUtc: isoDateTimeSchema,
  eventType: text,
  eventCategory: text,
  tenantId: text,
  tenantType: z.string().optional(),
  resourceUrl: z.string().optional(),
});

const payloadSchema = z.looseObject({
  // Events are checked one by one, so one odd entry never sinks its neighbours.
  events: z.array(z.unknown()),
  // The OpenAPI schema says minimum 1, but intent-to-receive bodies carry 0: not checked strictly.
  firstEventSequence: z.number().optional(),
  lastEventSequence: z.number().optional(),
  entropy: z.string().optional(),
});

/**
 * Splits a verified Xero body into events.
 *
 * - No events: the intent-to-receive handshake (`handshake: true`), answered 200 with an empty body.
 * - `eventType` and `eventCategory` are upper-cased (`UPDATE`, `INVOICE`): Xero's docs show
 *   `Update` while the wire sends `UPDATE`. `resourceId` is used, never `resourceUrl`.
 * - Dedupe key: `xero:` + SHA-256 of the sorted (tenant, category, resource, type, time) of every
 *   event. Xero documents no delivery id, and whether a retry keeps `entropy`, the sequence numbers
 *   or the exact whitespace is not documented, so the key is built from what a redelivery must
 *   repeat: the changes themselves. Two payloads naming the very same changes are the same webhook.
 *   A handshake's key hashes its raw bytes: each probe is its own request.
 */
export function parseXeroDelivery(request: ProviderRequest): ParsedDelivery {
  const body = decodeJsonBody(request.rawBody, "xero payload");
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new WebhookPayloadError("xero payload: body must be a JSON object with events[]");
  }
  if (!isQuickEnvelope(body as Record<string, unknown>)) {
    const result = payloadSchema.safeParse(body);
    if (!result.success) {
      const issue = result.error.issues[0];
      const path = formatPath(issue?.path ?? []);
      const message = issue === undefined ? "is invalid" : describeIssue(issue, valueAt(body, issue.path));
      throw new WebhookPayloadError(`xero payload: ${path === "" ? "body" : path} ${message}`, result.error);
    }
  }
  const asSent = (body as { events: unknown[] }).events;
  if (asSent.length === 0) {
    return { dedupeKey: `xero:itr:${createHash("sha256").update(request.rawBody).digest("hex")}`, events: [], handshake: true };
  }
  const parts: string[] = [];
  const events: ParsedEvent[] = [];
  const reasons: string[] = [];
  const rejected: unknown[] = [];
  for (let index = 0; index < asSent.length; index += 1) {
    const entry = asSent[index];
    let event = quickEvent(entry);
    if (event === undefined) {
      const checked = eventSchema.safeParse(entry);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        const path = formatPath(["events", index, ...(issue?.path ?? [])]);
        reasons.push(`xero payload: ${path} ${issue === undefined ? "is invalid" : describeIssue(issue, valueAt(entry, issue.path))}`);
        rejected.push(entry);
        continue;
      }
      event = checked.data;
    }
    const entityType = event.eventCategory.toUpperCase();
    const operation = event.eventType.toUpperCase();
    parts.push(`${event.tenantId}\u001f${entityType}\u001f${event.resourceId}\u001f${operation}\u001f${event.eventDateUtc.toISOString()}`);
    events.push({
      tenantId: event.tenantId,
      entityType,
      entityId: event.resourceId,
      operation,
      // Xero sends CREATE and UPDATE only; archiving and deleting are UPDATEs of a record that still exists.
      deleted: false,
      occurredAt: event.eventDateUtc,
      payload: entry,
    });
  }
  // Nothing readable: the whole delivery is unparseable, with the first entry's reason.
  if (events.length === 0) throw new WebhookPayloadError(reasons[0] as string);
  const digest = createHash("sha256").update(parts.sort().join("\n")).digest("hex");
  if (reasons.length === 0) return { dedupeKey: `xero:${digest}`, events };
  const { events: _events, ...envelope } = body as Record<string, unknown>;
  return {
    dedupeKey: `xero:${digest}`,
    events,
    rejected: { rawBody: new TextEncoder().encode(JSON.stringify({ ...envelope, events: rejected })), entries: reasons.length, reason: reasons.join("; ") },
  };
}

// Fast checks of the valid shape, on the hot path of every webhook: they only ever answer "plainly
// valid" (with what the schema would output); anything else goes through the schema, which accepts it
// or words the error exactly as before.

/** Whether `payloadSchema` plainly accepts `body` (an object, checked by the caller). */
function isQuickEnvelope(body: Record<string, unknown>): boolean {
  const { events, firstEventSequence, lastEventSequence, entropy } = body;
  return (
    Array.isArray(events) &&
    (firstEventSequence === undefined || typeof firstEventSequence === "number") &&
    (lastEventSequence === undefined || typeof lastEventSequence === "number") &&
    (entropy === undefined || typeof entropy === "string")
  );
}

interface CheckedEvent {
  readonly resourceId: string;
  readonly eventDateUtc: Date;
  readonly eventType: string;
  readonly eventCategory: string;
  readonly tenantId: string;
}

/** `eventSchema`'s output (the fields read here) for a plainly valid event, else undefined. */
function quickEvent(value: unknown): CheckedEvent | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const entry = value as Record<string, unknown>;
  const resourceId = quickText(entry.resourceId);
  const eventType = quickText(entry.eventType);
  const eventCategory = quickText(entry.eventCategory);
  const tenantId = quickText(entry.tenantId);
  const eventDateUtc = typeof entry.eventDateUtc === "string" ? parseIsoDateTime(entry.eventDateUtc) : undefined;
  if (resourceId === undefined || eventType === undefined || eventCategory === undefined || tenantId === undefined || eventDateUtc === undefined) {
    return undefined;
  }
  if (!(entry.tenantType === undefined || typeof entry.tenantType === "string")) return undefined;
  if (!(entry.resourceUrl === undefined || typeof entry.resourceUrl === "string")) return undefined;
  return { resourceId, eventDateUtc, eventType, eventCategory, tenantId };
}

/** A short reason: "is missing", "must be an array", or the schema's own message. */
function describeIssue(issue: z.core.$ZodIssue, actual: unknown): string {
  if (actual === undefined) return "is missing";
  if (issue.code === "invalid_type") return `must be ${/^[aeiou]/.test(issue.expected) ? "an" : "a"} ${issue.expected}`;
  return issue.message;
}

/** The value at a zod path in the input (to tell "missing" from "wrong type"). */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`;
  return out;
}
