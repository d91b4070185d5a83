/**
 * The records webhook-inbox keeps and the values its public API returns.
 * Stores persist these shapes; the processor and the admin surface read them.
 */

/** How an integration processes its webhooks. See README › Modes. */
export type Mode = "direct" | "immediate" | "delayed";
export const MODES = ["direct", "immediate", "delayed"] as const satisfies readonly Mode[];

/** Who changed a setting (the service switch, a mode) and when, as the store recorded it. */
export interface SettingChange {
  readonly changedAt: Date;
  /** The operator (the admin `authorize` hook's `actor`), the caller of `setMode`, or `null` when unnamed. */
  readonly changedBy: string | null;
}

/** Status of one event (stable names). */
export type EventStatus = "queued" | "processing" | "retrying" | "succeeded" | "failed" | "stale";
export const EVENT_STATUSES = ["queued", "processing", "retrying", "succeeded", "failed", "stale"] as const satisfies readonly EventStatus[];

/** What started an attempt; `reconcile`: the first attempt of a change found by reconciliation (README › Reconciliation). */
export type AttemptTrigger = "receive" | "scheduler" | "manual" | "reconcile";
export const ATTEMPT_TRIGGERS = ["receive", "scheduler", "manual", "reconcile"] as const satisfies readonly AttemptTrigger[];

/** How an attempt ended. */
export type AttemptOutcome = "succeeded" | "failed" | "rate_limited" | "stale";

/**
 * What became of one inbound HTTP request.
 * - `accepted`: stored with its events (deferred modes).
 * - `processed` / `failed`: `direct` mode, handled in the request.
 * - `duplicate`: its de-duplication key was seen before; nothing new stored.
 * - `unparseable`: correctly signed but could not be parsed; stored whole and acknowledged.
 * - `rejected`: refused (bad signature, too large, unknown integration, ...), with the reason.
 */
export type DeliveryStatus = "accepted" | "processed" | "failed" | "duplicate" | "unparseable" | "rejected";
export const DELIVERY_STATUSES = ["accepted", "processed", "failed", "duplicate", "unparseable", "rejected"] as const satisfies readonly DeliveryStatus[];

/** A response as `receive()` returns it and as the delivery log records it. */
export interface ReceiveResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Response body as text; empty string for an empty body. */
  readonly body: string;
}

/** A delivery to be inserted (one inbound HTTP request). */
export interface NewDelivery {
  readonly id: string;
  readonly integration: string;
  readonly provider: string;
  /** Tenants the delivery names (a QuickBooks or Xero delivery can name several). */
  readonly tenantIds: readonly string[];
  readonly receivedAt: Date;
  /** Request headers, lower-cased names, secrets redacted. */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact bytes received. */
  readonly rawBody: Uint8Array;
  /** Provider-derived key; `null` for deliveries that are never de-duplicated (rejected ones). */
  readonly dedupeKey: string | null;
  readonly status: DeliveryStatus;
  /** Why the delivery was rejected, is unparseable or failed. */
  readonly reason: string | null;
  readonly response: ReceiveResult | null;
}

/** A stored delivery. */
export interface DeliveryRecord extends NewDelivery {
  /** For a `duplicate`, the delivery it repeats. */
  readonly duplicateOf: string | null;
  readonly eventCount: number;
}

/** A delivery in a list: without its raw body. */
export type DeliverySummary = Omit<DeliveryRecord, "rawBody">;

/** Identifies one entity at one provider tenant; the key of the staleness watermark. */
export interface EntityKey {
  readonly integration: string;
  readonly tenantId: string;
  readonly entityType: string;
  readonly entityId: string;
}

/** An event to be inserted with its delivery: one entity change. */
export interface NewEvent extends EntityKey {
  /** Time-ordered id (UUIDv7): comparing ids compares arrival order. */
  readonly id: string;
  readonly deliveryId: string;
  readonly provider: string;
  /** Provider's operation name as sent (`Update`, `Create`, `Delete`, `Merge`, `UPDATE`, ...). */
  readonly operation: string;
  /** True when the operation says the entity is gone: no fetch, the handler gets `resource: null`. */
  readonly deleted: boolean;
  /** Provider's time of the change. */
  readonly occurredAt: Date;
  readonly receivedAt: Date;
  /** Mode of the integration when the event arrived. */
  readonly mode: Mode;
  readonly status: "queued";
  readonly maxAttempts: number;
  readonly nextAttemptAt: Date;
  readonly nextTrigger: AttemptTrigger;
  /** The part of the webhook that names this change (JSON). */
  readonly payload: unknown;
}

/** A stored event: the incoming webhook log row. */
export interface EventRecord extends Omit<NewEvent, "status"> {
  readonly status: EventStatus;
  /** Automatic attempts spent (failed or succeeded; rate-limited and manual ones are not counted). */
  readonly attemptsMade: number;
  /** Claims handed out, and claims that ended with `finishAttempts`: the difference is interrupted attempts. */
  readonly attemptsStarted: number;
  readonly attemptsFinished: number;
  readonly lastError: string | null;
  /** For a `stale` event: what superseded it (an event id, or `download:<ISO time>`). */
  readonly supersededBy: string | null;
  readonly updatedAt: Date;
}

/** The data downloaded for an event, with its download time. */
export interface ResourceData {
  /** `null` when the entity is deleted or the provider did not find it. */
  readonly data: unknown;
  readonly downloadedAt: Date;
}

/** One attempt at an event. */
export interface AttemptRecord {
  readonly eventId: string;
  /** 1-based position among all of this event's attempts. */
  readonly number: number;
  readonly trigger: AttemptTrigger;
  readonly startedAt: Date;
  readonly endedAt: Date;
  readonly outcome: AttemptOutcome;
  /**
   * The attempt's message: why it failed, or why it was stale; on a succeeded attempt, a note when a
   * record absent from the batch answer was read again (confirmed missing, or found on the second
   * read); otherwise null.
   */
  readonly error: string | null;
}

/** Automatic attempts left: 0 once the event is final (succeeded, stale or failed). */
export function attemptsRemaining(event: Pick<EventRecord, "status" | "maxAttempts" | "attemptsMade">): number {
  if (event.status === "succeeded" || event.status === "stale" || event.status === "failed") return 0;
  return Math.max(0, event.maxAttempts - event.attemptsMade);
}

/** What `getEvent(id)` returns. */
export interface EventDetails extends EventRecord {
  /** `max(0, maxAttempts - attemptsMade)`; 0 once the event is final (see `attemptsRemaining()`). */
  readonly attemptsRemaining: number;
  readonly attempts: readonly AttemptRecord[];
  readonly resourceData: ResourceData | null;
}

/** An event in a list, with its attempts remaining. */
export type EventSummary = EventRecord & { readonly attemptsRemaining: number };

/** Filters shared by event lists, counts and retry-by-filter. Every field narrows; all are optional. */
export interface EventFilter {
  readonly integration?: string | readonly string[];
  readonly tenantId?: string | readonly string[];
  readonly status?: EventStatus | readonly EventStatus[];
  readonly entityType?: string;
  readonly entityId?: string;
  readonly deliveryId?: string;
  /** Received at or after. */
  readonly receivedFrom?: Date;
  /** Received strictly before. */
  readonly receivedTo?: Date;
  /** Free text: matches event id, delivery id, entity id or tenant id (substring). */
  readonly search?: string;
  /**
   * Free text over what an event holds: its last error, its payload and its downloaded resource
   * data, as JSON text (case-insensitive substring; the JSON's spacing may differ between stores, so
   * search for words and values rather than punctuation).
   */
  readonly text?: string;
}

/** Filters for the delivery log. */
export interface DeliveryFilter {
  readonly integration?: string | readonly string[];
  /** Matches deliveries naming any of these tenants. */
  readonly tenantId?: string | readonly string[];
  readonly status?: DeliveryStatus | readonly DeliveryStatus[];
  readonly receivedFrom?: Date;
  readonly receivedTo?: Date;
  /** Free text: matches delivery id or reason (substring). */
  readonly search?: string;
}

/** Keyset paging: newest first; pass `nextCursor` back as `cursor`. */
export interface PageRequest {
  readonly cursor?: string;
  /** @default 50 */
  readonly limit?: number;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** `null` on the last page. */
  readonly nextCursor: string | null;
}

/** One row of `countEvents`. */
export interface EventCount {
  readonly integration: string;
  readonly status: EventStatus;
  readonly count: number;
}

/** The staleness watermark of one entity: what was last applied. */
export interface Watermark extends EntityKey {
  /** Provider time of the newest event handled. */
  readonly occurredAt: Date;
  /** Tie-break for equal `occurredAt`: the id of that event. */
  readonly eventId: string;
  /** Download time of the data it was handled with (the newest of those applied; for display). */
  readonly downloadedAt: Date;
  /**
   * The store-assigned download sequence of the newest data applied (`WebhookStore.nextDownloadSequence`):
   * what "which data is newer" is judged by, whatever the workers' clocks say. Absent on a mark written
   * by a store without sequences (or before it had them): then it counts as older than any sequenced download.
   */
  readonly downloadSequence?: number;
}

/** The event a handler receives (stable fields first). */
export interface InboxEvent<TResource = unknown> {
  readonly id: string;
  readonly integration: string;
  readonly tenantId: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly operation: string;
  readonly occurredAt: Date;
  /** Current data downloaded from the provider; `null` for a deleted or missing entity. */
  readonly resource: TResource | null;
  readonly deliveryId: string;
  readonly provider: string;
  readonly receivedAt: Date;
  /** When `resource` was downloaded. */
  readonly downloadedAt: Date;
  /** What started this attempt. */
  readonly trigger: AttemptTrigger;
  /** 1-based attempt number (all triggers). */
  readonly attempt: number;
  /** The part of the webhook that named this change. */
  readonly payload: unknown;
}

/** Extra context for a handler. */
export interface HandlerContext {
  /** Aborted when the attempt times out or the inbox stops. */
  readonly signal: AbortSignal;
  /**
   * The store's open transaction, when `transactionalHandler` is on and the store supports it:
   * write through it and your writes, the watermark and the event's completion commit together.
   * (A `pg` PoolClient for PostgresStore; the better-sqlite3 Database for SqliteStore.)
   */
  readonly transaction?: unknown;
}

/** What the host registers to process events. */
export type EventHandler<TResource = unknown> = (event: InboxEvent<TResource>, context: HandlerContext) => Promise<void> | void;
