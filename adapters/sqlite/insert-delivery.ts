/**
 * The insert and de-duplication round of SqliteStore: a delivery is stored with its events, or, when
 * its dedupe key is already held, as a `duplicate` pointing at the holder.
 *
 * A group of concurrent inserts shares one transaction (one fsync). The common case takes the fast
 * path: no savepoint per delivery (a savepoint's statement journal costs more than the rows), the
 * dedupe conflict found by the insert itself (`ON CONFLICT (dedupe_key) DO NOTHING`; the holder is
 * looked up only for the conflicting ones), and every event of the group in multi-row INSERTs. Should
 * any statement fail, the whole group is rolled back and stored again one delivery per savepoint, so
 * one failure still spares the others.
 */
import type { Database, Statement } from "better-sqlite3";
import { StoreError, type InsertDeliveryResult, type NewDelivery, type NewEvent } from "../../src/index.ts";
import type { Settled } from "../../src/store-kit/index.ts";
import { isBusy } from "./busy-retry.ts";
import { toBlob, toJson } from "./rows.ts";

/** One `insertDelivery` call. */
export interface InsertInput {
  readonly delivery: NewDelivery;
  readonly events: readonly NewEvent[];
}

type Sql = (text: string) => Statement;

const DELIVERY_COLUMNS =
  "id, integration, provider, tenant_ids, received_at, headers, raw_body, dedupe_key, status, reason, response, duplicate_of, event_count";
/** A new delivery, unless its dedupe key is held (then nothing is written and `changes` is 0). */
const INSERT_DELIVERY = `INSERT INTO deliveries (${DELIVERY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING`;
const FIND_DEDUPE_HOLDER = "SELECT id FROM deliveries WHERE dedupe_key = ?";

const EVENT_COLUMNS = `id, delivery_id, integration, provider, tenant_id, entity_type, entity_id, operation, deleted, occurred_at, received_at, mode,
  status, max_attempts, next_attempt_at, next_trigger, payload, updated_at`;
/** Parameters per event row (status is the literal 'queued'). */
const EVENT_PARAMS = 17;
const EVENT_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)";
/**
 * Most event rows per INSERT statement: 128 × 17 = 2,176 parameters, far under SQLite's limit (32,766
 * since 3.32; 999 before, which a build may still set). Larger groups take several statements.
 */
const EVENT_ROWS_PER_STATEMENT = 128;
const eventInsertTexts = new Map<number, string>();

/** The multi-row INSERT of `rows` events (texts cached; the connection caches the prepared statements). */
function eventInsert(rows: number): string {
  let text = eventInsertTexts.get(rows);
  if (text === undefined) {
    text = `INSERT INTO events (${EVENT_COLUMNS}) VALUES ${Array.from({ length: rows }, () => EVENT_ROW).join(", ")}`;
    eventInsertTexts.set(rows, text);
  }
  return text;
}

/** One transaction for a group; every caller settled on its own. */
export function insertGroup(db: Database, sql: Sql, inputs: readonly InsertInput[]): Settled<InsertDeliveryResult>[] {
  try {
    return insertTogether(db, sql, inputs);
  } catch (error) {
    // Another connection holds the file: the caller waits and tries the group again.
    if (isBusy(error)) throw error;
    return insertOneByOne(db, sql, inputs);
  }
}

/** The fast path: one transaction, no savepoints; throws (rolled back) when any statement fails. */
function insertTogether(db: Database, sql: Sql, inputs: readonly InsertInput[]): Settled<InsertDeliveryResult>[] {
  const outcomes: Settled<InsertDeliveryResult>[] = new Array(inputs.length);
  sql("BEGIN IMMEDIATE").run();
  try {
    const events: NewEvent[] = [];
    for (let index = 0; index < inputs.length; index += 1) {
      const input = inputs[index]!;
      const result = storeDelivery(sql, input.delivery, input.events.length);
      if (result.status === "inserted") for (const event of input.events) events.push(event);
      outcomes[index] = { ok: true, value: result };
    }
    insertEvents(sql, events);
    sql("COMMIT").run();
  } catch (error) {
    rollbackQuietly(db);
    throw error;
  }
  return outcomes;
}

/** The careful path: each delivery in its own savepoint, so one failure spares the others. */
function insertOneByOne(db: Database, sql: Sql, inputs: readonly InsertInput[]): Settled<InsertDeliveryResult>[] {
  const outcomes: Settled<InsertDeliveryResult>[] = [];
  db.transaction(() => {
    for (const input of inputs) {
      try {
        // insertOne's own transaction nests as a savepoint here.
        outcomes.push({ ok: true, value: insertOne(db, sql, input) });
      } catch (cause) {
        outcomes.push({ ok: false, error: new StoreError("sqlite", "insertDelivery failed", cause) });
      }
    }
  }).immediate();
  return outcomes;
}

/** Stores one delivery (and its events, unless it is a duplicate) in one transaction or savepoint. */
export function insertOne(db: Database, sql: Sql, { delivery, events }: InsertInput): InsertDeliveryResult {
  return db.transaction((): InsertDeliveryResult => {
    const result = storeDelivery(sql, delivery, events.length);
    if (result.status === "inserted") insertEvents(sql, events);
    return result;
  })();
}

/** Writes the delivery row: the new delivery, or, when its dedupe key is held, a duplicate pointing at the holder. */
function storeDelivery(sql: Sql, delivery: NewDelivery, eventCount: number): InsertDeliveryResult {
  const tenantIds = toJson(delivery.tenantIds);
  const headers = toJson(delivery.headers);
  const rawBody = toBlob(delivery.rawBody);
  const response = delivery.response === null ? null : toJson(delivery.response);
  const insert = sql(INSERT_DELIVERY);
  // The same row either way but for the dedupe key, the status, the holder and the event count.
  const store = (dedupeKey: string | null, status: string, duplicateOf: string | null, events: number) =>
    insert.run(
      delivery.id,
      delivery.integration,
      delivery.provider,
      tenantIds,
      delivery.receivedAt.getTime(),
      headers,
      rawBody,
      dedupeKey,
      status,
      delivery.reason,
      response,
      duplicateOf,
      events,
    ).changes;
  if (store(delivery.dedupeKey, delivery.status, null, eventCount) === 1) return { status: "inserted", deliveryId: delivery.id };
  // The key is held (by an earlier delivery, or by one earlier in this very group).
  const holder = sql(FIND_DEDUPE_HOLDER).get(delivery.dedupeKey) as { id: string } | undefined;
  if (holder === undefined) throw new Error("insertDelivery: the dedupe key conflicted but no delivery holds it");
  store(null, "duplicate", holder.id, 0);
  return { status: "duplicate", deliveryId: delivery.id, duplicateOf: holder.id };
}

/** Stores new events (queued), inside the caller's transaction: multi-row INSERTs of at most EVENT_ROWS_PER_STATEMENT rows. */
export function insertEvents(sql: Sql, events: readonly NewEvent[]): void {
  for (let start = 0; start < events.length; start += EVENT_ROWS_PER_STATEMENT) {
    const end = Math.min(events.length, start + EVENT_ROWS_PER_STATEMENT);
    const params: unknown[] = new Array((end - start) * EVENT_PARAMS);
    let at = 0;
    for (let index = start; index < end; index += 1) {
      const event = events[index]!;
      const receivedAt = event.receivedAt.getTime();
      params[at++] = event.id;
      params[at++] = event.deliveryId;
      params[at++] = event.integration;
      params[at++] = event.provider;
      params[at++] = event.tenantId;
      params[at++] = event.entityType;
      params[at++] = event.entityId;
      params[at++] = event.operation;
      params[at++] = event.deleted ? 1 : 0;
      params[at++] = event.occurredAt.getTime();
      params[at++] = receivedAt;
      params[at++] = event.mode;
      params[at++] = event.maxAttempts;
      params[at++] = event.nextAttemptAt.getTime();
      params[at++] = event.nextTrigger;
      params[at++] = toJson(event.payload);
      params[at++] = receivedAt;
    }
    sql(eventInsert(end - start)).run(params);
  }
}

function rollbackQuietly(db: Database): void {
  try {
    if (db.inTransaction) db.exec("ROLLBACK");
  } catch {
    // SQLite may already have rolled back (e.g. after an I/O error); the caller sees the error that caused it.
  }
}
