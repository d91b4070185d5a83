/** Row mapping of PostgresStore: pg rows to records, and records to the jsonb rows its statements read. */
import type {
  AttemptRecord,
  FinishAttemptInput,
  AttemptTrigger,
  DeliveryRecord,
  DeliveryStatus,
  DeliverySummary,
  EventRecord,
  EventStatus,
  Mode,
  NewDelivery,
  NewEvent,
  Page,
  ReceiveResult,
  Watermark,
} from "../../src/index.ts";

/** A row as pg returns it; columns are read by name and converted defensively. */
export type Row = Record<string, unknown>;

/** timestamptz → Date (pg gives Dates; a host pool with custom type parsers may give strings). */
export function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(value as string);
}

function toNullableString(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** An `events` row → EventRecord (lease columns stay inside the store). */
export function rowToEvent(row: Row): EventRecord {
  return {
    id: row.id as string,
    deliveryId: row.delivery_id as string,
    integration: row.integration as string,
    provider: row.provider as string,
    tenantId: row.tenant_id as string,
    entityType: row.entity_type as string,
    entityId: row.entity_id as string,
    operation: row.operation as string,
    deleted: row.deleted as boolean,
    occurredAt: toDate(row.occurred_at),
    receivedAt: toDate(row.received_at),
    mode: row.mode as Mode,
    status: row.status as EventStatus,
    maxAttempts: row.max_attempts as number,
    nextAttemptAt: toDate(row.next_attempt_at),
    nextTrigger: row.next_trigger as AttemptTrigger,
    payload: row.payload ?? null,
    attemptsMade: row.attempts_made as number,
    attemptsStarted: row.attempts_started as number,
    attemptsFinished: row.attempts_finished as number,
    lastError: toNullableString(row.last_error),
    supersededBy: toNullableString(row.superseded_by),
    updatedAt: toDate(row.updated_at),
  };
}

/** A `deliveries` row without its body → DeliverySummary. */
export function rowToDeliverySummary(row: Row): DeliverySummary {
  return {
    id: row.id as string,
    integration: row.integration as string,
    provider: row.provider as string,
    tenantIds: row.tenant_ids as string[],
    receivedAt: toDate(row.received_at),
    headers: row.headers as Record<string, string>,
    dedupeKey: toNullableString(row.dedupe_key),
    status: row.status as DeliveryStatus,
    reason: toNullableString(row.reason),
    response: (row.response ?? null) as ReceiveResult | null,
    duplicateOf: toNullableString(row.duplicate_of),
    eventCount: row.event_count as number,
  };
}

/** A full `deliveries` row → DeliveryRecord; the body comes back as a plain Uint8Array, not a Buffer. */
export function rowToDelivery(row: Row): DeliveryRecord {
  const body = row.raw_body as Uint8Array;
  return { ...rowToDeliverySummary(row), rawBody: new Uint8Array(body) };
}

/** An attempt as `getEvent` aggregates it (jsonb: times arrive as strings). */
export function jsonToAttempt(eventId: string, value: Row): AttemptRecord {
  return {
    eventId,
    number: value.number as number,
    trigger: value.trigger as AttemptTrigger,
    startedAt: toDate(value.startedAt),
    endedAt: toDate(value.endedAt),
    outcome: value.outcome as AttemptRecord["outcome"],
    error: toNullableString(value.error),
  };
}

export function rowToWatermark(row: Row): Watermark {
  return {
    integration: row.integration as string,
    tenantId: row.tenant_id as string,
    entityType: row.entity_type as string,
    entityId: row.entity_id as string,
    occurredAt: toDate(row.occurred_at),
    eventId: row.event_id as string,
    downloadedAt: toDate(row.downloaded_at),
    // bigint arrives as a string; sequences stay far below 2^53.
    ...(row.download_seq === null || row.download_seq === undefined ? {} : { downloadSequence: Number(row.download_seq) }),
  };
}

/** A delivery's columns besides its body, as set by the insert that stores it. */
interface DeliveryOverrides {
  readonly dedupeKey: string | null;
  readonly status: DeliveryStatus;
  readonly duplicateOf: string | null;
  readonly eventCount: number;
}

/**
 * Deliveries as the two parameters of the insert statements: a JSON array of rows ($1, read by
 * json_to_recordset) and every raw body back to back in ONE bytea ($2, sent in pg's binary format:
 * no base64 in JS nor decode() and JSON string parsing on the server), each row naming its body's
 * 1-based offset and length.
 */
export function deliveryParams(items: readonly { delivery: NewDelivery; overrides: DeliveryOverrides }[]): [string, Buffer] {
  const rows = new Array<Row>(items.length);
  const bodies = new Array<Buffer>(items.length);
  let offset = 1;
  for (let index = 0; index < items.length; index += 1) {
    const { delivery, overrides } = items[index]!;
    const body = delivery.rawBody;
    bodies[index] = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    rows[index] = {
      id: delivery.id,
      integration: delivery.integration,
      provider: delivery.provider,
      tenant_ids: delivery.tenantIds,
      received_at: delivery.receivedAt,
      headers: delivery.headers,
      body_offset: offset,
      body_length: body.byteLength,
      dedupe_key: overrides.dedupeKey,
      status: overrides.status,
      reason: delivery.reason,
      response: delivery.response,
      duplicate_of: overrides.duplicateOf,
      event_count: overrides.eventCount,
    };
    offset += body.byteLength;
  }
  return [jsonbText(rows), Buffer.concat(bodies)];
}

/** Characters that make an array element need escaping ("\\", '"') or replacing (U+0000: PostgreSQL text cannot hold it). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is one of the characters this looks for (PostgreSQL text cannot hold it).
const NEEDS_ESCAPE = /["\\\u0000]/;

/**
 * One element of a text[] literal, always double-quoted (so `NULL`, empty strings, commas, braces and
 * spaces need nothing else); U+0000 becomes U+FFFD, lone surrogates become U+FFFD in pg's UTF-8 encoding.
 */
function arrayElement(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return `"${value}"`;
  return `"${value.replaceAll("\u0000", "\ufffd").replace(/["\\]/g, "\\$&")}"`;
}

/**
 * Events as column arrays for `unnest` (one text[] literal per column, built here in one pass rather
 * than element by element by pg's generic array serialiser; times as epoch milliseconds), and every
 * payload's JSON text back to back in one bytea, each event naming its payload's 1-based byte offset
 * and length. Column arrays cost the server a fraction of a JSON document with every key repeated
 * per event, and the payload column is `json` (stored as written, validated only): no jsonb parse, and
 * the payload reads back exactly as stored (U+0000 and lone surrogates included). `owner` is the
 * delivery each event is stored with.
 */
export function eventParams(items: readonly { owner: string; event: NewEvent }[]): unknown[] {
  const columns = 19;
  const lists: string[] = new Array<string>(columns).fill("");
  const payloads: string[] = [];
  let offset = 1;
  for (let index = 0; index < items.length; index += 1) {
    const { owner, event } = items[index]!;
    const comma = index === 0 ? "" : ",";
    lists[0] += comma + arrayElement(owner);
    lists[1] += comma + arrayElement(event.id);
    lists[2] += comma + arrayElement(event.deliveryId);
    lists[3] += comma + arrayElement(event.integration);
    lists[4] += comma + arrayElement(event.provider);
    lists[5] += comma + arrayElement(event.tenantId);
    lists[6] += comma + arrayElement(event.entityType);
    lists[7] += comma + arrayElement(event.entityId);
    lists[8] += comma + arrayElement(event.operation);
    lists[9] += comma + (event.deleted ? "t" : "f");
    lists[10] += comma + epochMs(event.occurredAt);
    lists[11] += comma + epochMs(event.receivedAt);
    lists[12] += comma + arrayElement(event.mode);
    lists[13] += comma + arrayElement(event.status);
    lists[14] += comma + String(event.maxAttempts);
    lists[15] += comma + epochMs(event.nextAttemptAt);
    lists[16] += comma + arrayElement(event.nextTrigger);
    const text = event.payload === undefined || event.payload === null ? undefined : (JSON.stringify(event.payload) as string | undefined);
    if (text === undefined) {
      lists[17] += `${comma}NULL`;
      lists[18] += `${comma}NULL`;
    } else {
      const length = Buffer.byteLength(text);
      payloads.push(text);
      lists[17] += comma + String(offset);
      lists[18] += comma + String(length);
      offset += length;
    }
  }
  const params: unknown[] = lists.map((list) => `{${list}}`);
  params.push(Buffer.from(payloads.join("")));
  return params;
}

/** A time as epoch milliseconds for a float8[] literal (an invalid Date gives NaN, refused by to_timestamp). */
function epochMs(date: Date): string {
  return String(date.getTime());
}

/** An event as a jsonb_to_recordset row; `owner` is the delivery it is inserted with. */
export function eventToJson(owner: string, event: NewEvent): Row {
  return {
    owner,
    id: event.id,
    delivery_id: event.deliveryId,
    integration: event.integration,
    provider: event.provider,
    tenant_id: event.tenantId,
    entity_type: event.entityType,
    entity_id: event.entityId,
    operation: event.operation,
    deleted: event.deleted,
    occurred_at: event.occurredAt,
    received_at: event.receivedAt,
    mode: event.mode,
    status: event.status,
    max_attempts: event.maxAttempts,
    next_attempt_at: event.nextAttemptAt,
    next_trigger: event.nextTrigger,
    payload: event.payload === undefined ? null : event.payload,
  };
}

/** Lone UTF-16 surrogates: legal in a JS string, refused by jsonb. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * JSON text for a jsonb parameter. jsonb refuses U+0000 and lone surrogates, both legal in the JSON a
 * provider sends (and its API returns): one such string failed its whole statement, a webhook was
 * answered 503 forever and a pass's finishes never landed. They become U+FFFD; the raw body (bytea)
 * keeps the exact bytes.
 */
export function jsonbText(value: unknown): string {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) return text as never; // undefined stays an SQL NULL, as before
  // Fast path: JSON.stringify writes U+0000 and lone surrogates as escapes, so text without those
  // escapes needs no cleaning (a false alarm, e.g. an escaped backslash before "u0000", only costs the slow path).
  if (!text.includes("\\u0000") && !ESCAPED_SURROGATE.test(text)) return text;
  return JSON.stringify(jsonbSafe(value));
}

const ESCAPED_SURROGATE = /\\ud[89a-f][0-9a-f]{2}/i;

function jsonbSafe(value: unknown): unknown {
  if (typeof value === "string") return value.replaceAll("\u0000", "\ufffd").replace(LONE_SURROGATE, "\ufffd");
  if (value === null || typeof value !== "object" || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map(jsonbSafe);
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[jsonbSafe(key) as string] = jsonbSafe(inner);
  return out;
}

/** A finish (FinishAttemptInput) → one jsonb row of the finishAttempts statement. */
export function finishToJson(input: FinishAttemptInput): Row {
  return {
    event_id: input.eventId,
    lease_token: input.leaseToken,
    has_attempt: input.attempt !== null,
    trigger: input.attempt?.trigger ?? null,
    started_at: input.attempt?.startedAt ?? null,
    ended_at: input.attempt?.endedAt ?? null,
    outcome: input.attempt?.outcome ?? null,
    error: input.attempt?.error ?? null,
    status: input.status,
    attempts_made: input.attemptsMade,
    next_attempt_at: input.nextAttemptAt,
    next_trigger: input.nextTrigger,
    last_error: input.lastError,
    has_superseded: input.supersededBy !== undefined,
    superseded_by: input.supersededBy ?? null,
    has_resource: input.resource !== undefined,
    resource_data: input.resource?.data ?? null,
    downloaded_at: input.resource?.downloadedAt ?? null,
    has_watermark: input.watermark !== undefined,
    wm_integration: input.watermark?.integration ?? null,
    wm_tenant_id: input.watermark?.tenantId ?? null,
    wm_entity_type: input.watermark?.entityType ?? null,
    wm_entity_id: input.watermark?.entityId ?? null,
    wm_occurred_at: input.watermark?.occurredAt ?? null,
    wm_event_id: input.watermark?.eventId ?? null,
    wm_downloaded_at: input.watermark?.downloadedAt ?? null,
    wm_download_seq: input.watermark?.downloadSequence ?? null,
    now: input.now,
  };
}

/** One page of `limit` items from `limit + 1` rows read (the extra row says whether a next page exists). */
export function toPage<T extends { id: string }>(items: T[], limit: number): Page<T> {
  if (items.length <= limit) return { items, nextCursor: null };
  const page = items.slice(0, limit);
  return { items: page, nextCursor: page[page.length - 1]!.id };
}
