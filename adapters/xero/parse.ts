import { createHash } from "node:crypto";
import { z } from "zod";
import { WebhookPayloadError, type ParsedDelivery, type ParsedEvent, type ProviderRequest } from "../../src/index.ts";
import { decodeJsonBody, isoDateTimeSchema } from "../../src/provider-kit/index.ts";

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
  const result = payloadSchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = formatPath(issue?.path ?? []);
    const message = issue === undefined ? "is invalid" : describeIssue(issue, valueAt(body, issue.path));
    throw new WebhookPayloadError(`xero payload: ${path === "" ? "body" : path} ${message}`, result.error);
  }
  const asSent = (body as { events: unknown[] }).events;
  if (result.data.events.length === 0) {
    return { dedupeKey: `xero:itr:${createHash("sha256").update(request.rawBody).digest("hex")}`, events: [], handshake: true };
  }
  const parts: string[] = [];
  const events: ParsedEvent[] = [];
  const reasons: string[] = [];
  const rejected: unknown[] = [];
  asSent.forEach((entry, index) => {
    const checked = eventSchema.safeParse(entry);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      const path = formatPath(["events", index, ...(issue?.path ?? [])]);
      reasons.push(`xero payload: ${path} ${issue === undefined ? "is invalid" : describeIssue(issue, valueAt(entry, issue.path))}`);
      rejected.push(entry);
      return;
    }
    const event = checked.data;
    const entityType = event.eventCategory.toUpperCase();
    const operation = event.eventType.toUpperCase();
    parts.push([event.tenantId, entityType, event.resourceId, operation, event.eventDateUtc.toISOString()].join("\u001f"));
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
  });
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
