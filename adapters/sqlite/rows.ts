/** Row mapping of SqliteStore: SQLite rows to records, and values to the columns they are stored in. */
import type { AttemptRecord, DeliveryRecord, DeliverySummary, EventRecord, Page, Watermark } from "../../src/index.ts";

/** Columns of `deliveries` as better-sqlite3 returns them. */
export interface DeliveryRow {
  id: string;
  integration: string;
  provider: string;
  tenant_ids: string;
  received_at: number;
  headers: string;
  raw_body?: Buffer;
  dedupe_key: string | null;
  status: string;
  reason: string | null;
  response: string | null;
  duplicate_of: string | null;
  event_count: number;
}

/** Columns of `events`. */
export interface EventRow {
  id: string;
  delivery_id: string;
  integration: string;
  provider: string;
  tenant_id: string;
  entity_type: string;
  entity_id: string;
  operation: string;
  deleted: number;
  occurred_at: number;
  received_at: number;
  mode: string;
  status: string;
  max_attempts: number;
  next_attempt_at: number;
  next_trigger: string;
  payload: string;
  attempts_made: number;
  attempts_started: number;
  attempts_finished: number;
  last_error: string | null;
  superseded_by: string | null;
  updated_at: number;
}

export interface AttemptRow {
  event_id: string;
  number: number;
  trigger: string;
  started_at: number;
  ended_at: number;
  outcome: string;
  error: string | null;
}

export interface WatermarkRow {
  integration: string;
  tenant_id: string;
  entity_type: string;
  entity_id: string;
  occurred_at: number;
  event_id: string;
  downloaded_at: number;
  download_seq: number | null;
}

/** JSON for a TEXT column; `undefined` is stored as `null` so it reads back as a value. */
export function toJson(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}

/** A zero-copy Buffer view, which is what better-sqlite3 binds as a BLOB. */
export function toBlob(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function toDeliverySummary(row: DeliveryRow): DeliverySummary {
  return {
    id: row.id,
    integration: row.integration,
    provider: row.provider,
    tenantIds: JSON.parse(row.tenant_ids) as string[],
    receivedAt: new Date(row.received_at),
    headers: JSON.parse(row.headers) as Record<string, string>,
    dedupeKey: row.dedupe_key,
    status: row.status as DeliveryRecord["status"],
    reason: row.reason,
    response: row.response === null ? null : (JSON.parse(row.response) as DeliveryRecord["response"]),
    duplicateOf: row.duplicate_of,
    eventCount: row.event_count,
  };
}

export function toDeliveryRecord(row: DeliveryRow): DeliveryRecord {
  const body = row.raw_body ?? Buffer.alloc(0);
  // A plain Uint8Array view, as the contract types it (no copy).
  return { ...toDeliverySummary(row), rawBody: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
}

export function toEventRecord(row: EventRow): EventRecord {
  return {
    id: row.id,
    deliveryId: row.delivery_id,
    integration: row.integration,
    provider: row.provider,
    tenantId: row.tenant_id,
    entityType: row.entity_type,
    entityId: row.entity_id,
    operation: row.operation,
    deleted: row.deleted === 1,
    occurredAt: new Date(row.occurred_at),
    receivedAt: new Date(row.received_at),
    mode: row.mode as EventRecord["mode"],
    maxAttempts: row.max_attempts,
    nextAttemptAt: new Date(row.next_attempt_at),
    nextTrigger: row.next_trigger as EventRecord["nextTrigger"],
    payload: JSON.parse(row.payload) as unknown,
    status: row.status as EventRecord["status"],
    attemptsMade: row.attempts_made,
    attemptsStarted: row.attempts_started,
    attemptsFinished: row.attempts_finished,
    lastError: row.last_error,
    supersededBy: row.superseded_by,
    updatedAt: new Date(row.updated_at),
  };
}

export function toAttemptRecord(row: AttemptRow): AttemptRecord {
  return {
    eventId: row.event_id,
    number: row.number,
    trigger: row.trigger as AttemptRecord["trigger"],
    startedAt: new Date(row.started_at),
    endedAt: new Date(row.ended_at),
    outcome: row.outcome as AttemptRecord["outcome"],
    error: row.error,
  };
}

export function toWatermark(row: WatermarkRow): Watermark {
  return {
    integration: row.integration,
    tenantId: row.tenant_id,
    entityType: row.entity_type,
    entityId: row.entity_id,
    occurredAt: new Date(row.occurred_at),
    eventId: row.event_id,
    downloadedAt: new Date(row.downloaded_at),
    ...(row.download_seq === null ? {} : { downloadSequence: row.download_seq }),
  };
}

/** One page of `limit` items from `limit + 1` rows read (the extra row says whether a next page exists). */
export function toPage<T extends { id: string }>(items: T[], limit: number): Page<T> {
  if (items.length <= limit) return { items, nextCursor: null };
  const page = items.slice(0, limit);
  return { items: page, nextCursor: page[page.length - 1]!.id };
}
