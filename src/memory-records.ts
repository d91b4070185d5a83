// Memory store records: the mutable event and delivery shapes the in-memory store keeps, and how they change.
import type { DeliveryRecord, EventRecord, NewEvent, Page } from "./types.ts";
import { poisonMessage } from "./poison-message.ts";

export type MutableEvent = { -readonly [K in keyof EventRecord]: EventRecord[K] };
export type MutableDelivery = { -readonly [K in keyof DeliveryRecord]: DeliveryRecord[K] };

export function dueTime(event: EventRecord): number {
  return event.nextAttemptAt.getTime();
}

export function newEventRecord(event: NewEvent): MutableEvent {
  return {
    ...event,
    attemptsMade: 0,
    attemptsStarted: 0,
    attemptsFinished: 0,
    lastError: null,
    supersededBy: null,
    updatedAt: event.receivedAt,
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
