// Memory store records: the mutable event and delivery shapes the in-memory store keeps, and how they change.
import type { DeliveryRecord, EventRecord, NewDelivery, NewEvent, Page } from "./types.ts";
import { poisonMessage } from "./poison-message.ts";

export type MutableEvent = { -readonly [K in keyof EventRecord]: EventRecord[K] };
export type MutableDelivery = { -readonly [K in keyof DeliveryRecord]: DeliveryRecord[K] };

export function dueTime(event: EventRecord): number {
  return event.nextAttemptAt.getTime();
}

/**
 * The stored record of a new event, built field by field: one object of a single, stable shape per
 * event (an object spread builds a slower, dictionary-backed copy on this hot path of ingest).
 */
export function newEventRecord(event: NewEvent): MutableEvent {
  return {
    id: event.id,
    deliveryId: event.deliveryId,
    integration: event.integration,
    provider: event.provider,
    tenantId: event.tenantId,
    entityType: event.entityType,
    entityId: event.entityId,
    operation: event.operation,
    deleted: event.deleted,
    occurredAt: event.occurredAt,
    receivedAt: event.receivedAt,
    mode: event.mode,
    status: event.status,
    maxAttempts: event.maxAttempts,
    nextAttemptAt: event.nextAttemptAt,
    nextTrigger: event.nextTrigger,
    payload: event.payload,
    attemptsMade: 0,
    attemptsStarted: 0,
    attemptsFinished: 0,
    lastError: null,
    supersededBy: null,
    updatedAt: event.receivedAt,
  };
}

/** The stored record of a new delivery, field by field (see `newEventRecord`). */
export function newDeliveryRecord(delivery: NewDelivery, duplicateOf: string | null, eventCount: number): MutableDelivery {
  const duplicate = duplicateOf !== null;
  return {
    id: delivery.id,
    integration: delivery.integration,
    provider: delivery.provider,
    tenantIds: delivery.tenantIds,
    receivedAt: delivery.receivedAt,
    headers: delivery.headers,
    rawBody: delivery.rawBody,
    dedupeKey: duplicate ? null : delivery.dedupeKey,
    status: duplicate ? "duplicate" : delivery.status,
    reason: delivery.reason,
    response: delivery.response,
    duplicateOf,
    eventCount,
  };
}

export function markPoisoned(event: MutableEvent, now: Date): void {
  event.lastError = poisonMessage(event);
  event.status = "failed";
  event.updatedAt = now;
}

/** One page of `items` (fetched one past `limit`): the cursor is the last id shown. */
export function toPage<T extends { id: string }>(items: T[], limit: number): Page<T> {
  if (items.length <= limit) return { items, nextCursor: null };
  const page = items.slice(0, limit);
  return { items: page, nextCursor: page[page.length - 1]!.id };
}
