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
export interface DeliveryOverrides {
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

/** A text column's value: PostgreSQL text cannot hold U+0000 (lone surrogates become U+FFFD in pg's UTF-8 encoding). */
function pgText(value: string): string {
  return value.includes("\u0000") ? value.replaceAll("\u0000", "\ufffd") : value;
}

/**
 * Events as column arrays for `unnest` (one array per column, times as epoch milliseconds), and
 * every payload's JSON text back to back in one bytea, each event naming its payload's 1-based byte
 * offset and length. Column arrays cost the server a fraction of a JSON document with every key
 * repeated per event, and the payload column is `json` (stored as written, validated only): no
 * jsonb parse, and the payload reads back exactly as stored (U+0000 and lone surrogates included).
 * `owner` is the delivery each event is stored with.
 */
export function eventParams(items: readonly { owner: string; event: NewEvent }[]): unknown[] {
  const count = items.length;
  const owner = new Array<string>(count);
  const id = new Array<string>(count);
  const deliveryId = new Array<string>(count);
  const integration = new Array<string>(count);
  const provider = new Array<string>(count);
  const tenantId = new Array<string>(count);
  const entityType = new Array<string>(count);
  const entityId = new Array<string>(count);
  const operation = new Array<string>(count);
  const deleted = new Array<boolean>(count);
  const occurredAt = new Array<number>(count);
  const receivedAt = new Array<number>(count);
  const mode = new Array<string>(count);
  const status = new Array<string>(count);
  const maxAttempts = new Array<number>(count);
  const nextAttemptAt = new Array<number>(count);
  const nextTrigger = new Array<string>(count);
  const payloadOffset = new Array<number | null>(count);
  const payloadLength = new Array<number | null>(count);
  const payloads: string[] = [];
  let offset = 1;
  for (let index = 0; index < count; index += 1) {
    const { owner: ownerId, event } = items[index]!;
    owner[index] = ownerId;
    id[index] = pgText(event.id);
    deliveryId[index] = pgText(event.deliveryId);
    integration[index] = pgText(event.integration);
    provider[index] = pgText(event.provider);
    tenantId[index] = pgText(event.tenantId);
    entityType[index] = pgText(event.entityType);
    entityId[index] = pgText(event.entityId);
    operation[index] = pgText(event.operation);
    deleted[index] = event.deleted;
    occurredAt[index] = event.occurredAt.getTime();
    receivedAt[index] = event.receivedAt.getTime();
    mode[index] = event.mode;
    status[index] = event.status;
    maxAttempts[index] = event.maxAttempts;
    nextAttemptAt[index] = event.nextAttemptAt.getTime();
    nextTrigger[index] = event.nextTrigger;
    const text = event.payload === undefined || event.payload === null ? undefined : (JSON.stringify(event.payload) as string | undefined);
    if (text === undefined) {
      payloadOffset[index] = null;
      payloadLength[index] = null;
    } else {
      const length = Buffer.byteLength(text);
      payloads.push(text);
      payloadOffset[index] = offset;
      payloadLength[index] = length;
      offset += length;
    }
  }
  return [
    owner,
    id,
    deliveryId,
    integration,
    provider,
    tenantId,
    entityType,
    entityId,
    operation,
    deleted,
    occurredAt,
    receivedAt,
    mode,
    status,
    maxAttempts,
    nextAttemptAt,
    nextTrigger,
    payloadOffset,
    payloadLength,
    Buffer.from(payloads.join("")),
  ];
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
