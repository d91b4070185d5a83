/**
 * The insert and de-duplication round of SqliteStore: a delivery is stored with its events, or, when
 * its dedupe key is already held, as a `duplicate` pointing at the holder; a group of concurrent
 * inserts shares one transaction, each in its own savepoint so one failure spares the others.
 */
import type { Database, Statement } from "better-sqlite3";
import { StoreError, type InsertDeliveryResult, type NewDelivery, type NewEvent } from "../../src/index.ts";
import type { Settled } from "../../src/store-kit/index.ts";
import { FIND_DEDUPE_HOLDER, INSERT_DELIVERY, INSERT_EVENT } from "./queries.ts";
import { toBlob, toJson } from "./rows.ts";

/** One `insertDelivery` call. */
export interface InsertInput {
  readonly delivery: NewDelivery;
  readonly events: readonly NewEvent[];
}

type Sql = (text: string) => Statement;

/** One transaction for a group; each input in its own savepoint, so one failure spares the others. */
export function insertGroup(db: Database, sql: Sql, inputs: readonly InsertInput[]): Settled<InsertDeliveryResult>[] {
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
  const run = db.transaction((): InsertDeliveryResult => {
    const original = delivery.dedupeKey === null ? undefined : (sql(FIND_DEDUPE_HOLDER).get(delivery.dedupeKey) as { id: string } | undefined);
    sql(INSERT_DELIVERY).run({
      id: delivery.id,
      integration: delivery.integration,
      provider: delivery.provider,
      tenant_ids: toJson(delivery.tenantIds),
      received_at: delivery.receivedAt.getTime(),
      headers: toJson(delivery.headers),
      raw_body: toBlob(delivery.rawBody),
      dedupe_key: original ? null : delivery.dedupeKey,
      status: original ? "duplicate" : delivery.status,
      reason: delivery.reason,
      response: delivery.response === null ? null : toJson(delivery.response),
      duplicate_of: original?.id ?? null,
      event_count: original ? 0 : events.length,
    });
    if (original) return { status: "duplicate", deliveryId: delivery.id, duplicateOf: original.id };
    insertEvents(sql, events);
    return { status: "inserted", deliveryId: delivery.id };
  });
  return run();
}

/** Stores new events (queued), inside the caller's transaction. */
export function insertEvents(sql: Sql, events: readonly NewEvent[]): void {
  const statement = sql(INSERT_EVENT);
  for (const event of events) {
    statement.run({
      id: event.id,
      delivery_id: event.deliveryId,
      integration: event.integration,
      provider: event.provider,
      tenant_id: event.tenantId,
      entity_type: event.entityType,
      entity_id: event.entityId,
      operation: event.operation,
      deleted: event.deleted ? 1 : 0,
      occurred_at: event.occurredAt.getTime(),
      received_at: event.receivedAt.getTime(),
      mode: event.mode,
      max_attempts: event.maxAttempts,
      next_attempt_at: event.nextAttemptAt.getTime(),
      next_trigger: event.nextTrigger,
      payload: toJson(event.payload),
    });
  }
}
