import type {
  AttemptOutcome,
  AttemptTrigger,
  DeliveryFilter,
  DeliveryRecord,
  DeliveryStatus,
  DeliverySummary,
  EntityKey,
  EventCount,
  EventDetails,
  EventFilter,
  EventRecord,
  EventStatus,
  NewDelivery,
  NewEvent,
  Page,
  PageRequest,
  ReceiveResult,
  Watermark,
} from "../types.ts";
import type { ReconciliationStore } from "./reconciliation-store.ts";
import type { RateBudget } from "./rate-budget.ts";
import type { SharedStateStore } from "./shared-state.ts";

/**
 * Durable state for webhook-inbox: deliveries, events, attempts, resource data, watermarks, claims.
 *
 * Every implementation must pass `describeStoreConformance()` from "webhook-inbox/testing".
 * Invariants the suite checks:
 * - `insertDelivery` stores a delivery and all of its events atomically. A `dedupeKey` already held by
 *   an earlier delivery stores the new request as a `duplicate` delivery (no events) pointing at it.
 * - While a lease is live, `claimDue` never hands one event to two callers, even from two store
 *   instances over the same database (when `capabilities.multiProcess`).
 * - An attempt counts as *started* when its handler starts: with `startAttempts` (all three shipped
 *   stores), only the events it was called for; without it, every claim counts (the older contract).
 *   An event whose started-but-unfinished attempts reach its `maxAttempts` is not handed out again
 *   but marked `failed` (poison event); a group claim that finds a due event with an interrupted
 *   attempt claims that event's entity alone, so a poison event cannot take its neighbours with it.
 * - `finishAttempts` applies each finish in one transaction: the attempt row, the status fields, the
 *   resource data, the watermark (only ever moved forward) and the release of the lease; a finish whose
 *   `leaseToken` no longer owns its event changes nothing and reports `false`.
 * - Stores never read a clock for what they store: every time arrives as an argument. Policy (status
 *   transitions, backoff, staleness) is the processor's; stores persist what they are told. Leases
 *   are the one exception a store may make: a store shared by several processes should time them on
 *   its own clock (PostgresStore uses the database's), so a worker whose clock is fast cannot take
 *   over a live lease; `nextDueAt({ now })` then reports lease expiries on the caller's clock.
 * - A store never closes a client it was given; the caller owns that lifecycle.
 * - Driver failures are thrown as `StoreError` naming the store.
 */
export interface WebhookStore {
  /** Stable name for logs and `StoreError.store`, e.g. "postgres". */
  readonly name: string;
  /** What this backend guarantees; the conformance suite skips tests for absent capabilities. */
  readonly capabilities: StoreCapabilities;

  /** Creates or upgrades the schema. Idempotent, and safe when several instances start at once. */
  migrate(): Promise<void>;

  /** Stores one inbound request and its events atomically. Concurrent calls may be group-committed. */
  insertDelivery(input: { delivery: NewDelivery; events: readonly NewEvent[] }): Promise<InsertDeliveryResult>;

  /**
   * Changes a delivery after the fact (direct-mode outcome, the response to a duplicate, re-parsing).
   * Resolves true when it applied: the delivery exists and, with `ifStatus`, had that status at the
   * moment of the update (a conditional update: of concurrent callers with the same `ifStatus` and a
   * new `status`, exactly one gets true and only its events are added).
   */
  updateDelivery(input: UpdateDeliveryInput): Promise<boolean>;

  getDelivery(id: string): Promise<DeliveryRecord | null>;
  /** Newest first, keyset paging. */
  listDeliveries(input: DeliveryFilter & PageRequest): Promise<Page<DeliverySummary>>;

  /**
   * Leases due events (`queued`/`retrying` with `nextAttemptAt <= now`, and `processing` whose lease
   * expired), earliest `nextAttemptAt` first, at most `limit`. Without `startAttempts`, each claim
   * increments `attemptsStarted`; with it, the claim leaves it to `startAttempts`.
   * Skips events of an entity that has another event under a live lease (one claimer per entity, so
   * two workers never judge staleness against the same watermark at once).
   * With `ids`, only those events are considered (a manual retry).
   */
  claimDue(input: ClaimDueInput): Promise<ClaimResult>;

  /**
   * Optional (the shipped stores implement it): counts started attempts, right before their handlers
   * run — `attemptsStarted` of each event whose lease `leaseToken` still owns goes up by one. The pass
   * calls it once per `handlerConcurrency` handlers (a bounded number of writes), so a process that
   * dies mid-handler has charged an interrupted attempt to at most about two windows of events, not
   * to everything it claimed. A store with this method counts a finish of an attempt whose handler
   * never started (stale, download failed) as started and finished: `attemptsStarted` becomes at least
   * `attemptsFinished + 1` before `attemptsFinished` goes up. Result `i` is `false` when the lease is lost.
   */
  startAttempts?(input: { readonly now: Date; readonly leases: readonly { readonly eventId: string; readonly leaseToken: string }[] }): Promise<boolean[]>;

  /** Records the end of claimed attempts. Result `i` is `false` when `inputs[i].leaseToken` lost its claim. */
  finishAttempts(inputs: readonly FinishAttemptInput[], transaction?: unknown): Promise<boolean[]>;

  /**
   * Makes events due now for a manual retry (`nextTrigger: "manual"`, status `queued`), forgiving
   * interrupted attempts (`attemptsFinished = attemptsStarted`, so a poisoned event gets its attempt).
   * Skips `succeeded` events and events under a live lease. Returns the ids made due.
   */
  requeue(input: RequeueInput): Promise<string[]>;

  getWatermarks(keys: readonly EntityKey[]): Promise<Watermark[]>;

  /**
   * Optional (the three shipped stores have it): the next value of one store-wide sequence, strictly
   * greater than every value it returned before, in every instance over the same database and across
   * restarts. A pass takes one after claiming and before downloading, so of two passes over an entity
   * the one with the greater sequence downloaded after the other claimed: the staleness guard compares
   * these, not download times, and a clock stepped back or a worker running fast cannot make the newest
   * data look stale. A store without it is judged by download times (the workers' clocks must agree).
   */
  nextDownloadSequence?(): Promise<number>;

  /** One event with its attempts (oldest first) and its latest resource data. */
  getEvent(id: string): Promise<EventDetails | null>;
  /** Newest first (by id), keyset paging. */
  listEvents(input: EventFilter & PageRequest): Promise<Page<EventRecord>>;
  /** Counts grouped by integration and status; only non-zero rows. */
  countEvents(filter: EventFilter): Promise<EventCount[]>;
  /**
   * Earliest `nextAttemptAt` of a claimable event (leases included), or `null`: lets the scheduler sleep
   * exactly. A store that times leases on its own clock reports their expiry on the clock of `now`.
   */
  nextDueAt(input?: NextDueAtInput): Promise<Date | null>;

  /**
   * Removes `succeeded` and `stale` events last updated before `olderThan` with their attempts and
   * resource data, then every delivery received before `olderThan` that holds no events (emptied by
   * this prune, refused, duplicates, `direct`), except `unparseable` ones, which wait for an operator.
   * Returns the number of events removed.
   */
  prune(input: { olderThan: Date }): Promise<number>;

  /**
   * Optional: records and leases shared by every instance over this database (the settings, token
   * refreshes). Without it, settings are per process. See `SharedStateStore`.
   */
  readonly sharedState?: SharedStateStore;

  /**
   * Optional wake-up across processes (PostgreSQL LISTEN/NOTIFY): `onWork` is called when another
   * instance stored or re-queued work. Returns an unsubscribe function.
   */
  subscribe?(onWork: () => void): Promise<() => Promise<void>>;

  /**
   * Optional, with `capabilities.transactionalHandler`: runs `fn` inside one store transaction and
   * commits when it resolves (rolls back when it throws). The processor passes the transaction to the
   * handler and to `finishAttempts`, so the host's writes and the event's completion commit together.
   */
  transaction?<T>(fn: (transaction: unknown) => Promise<T>): Promise<T>;

  /**
   * Optional: reconciliation's watermarks, run log and per-tenant lease (README › Reconciliation). An
   * integration with `reconcile` set needs a store that has it; the three shipped stores do.
   */
  readonly reconciliation?: ReconciliationStore;

  /**
   * Optional shared rate budget (see contracts/rate-budget.ts): when present, the rate limiter of
   * every instance reserves provider calls and shares throttle pauses through it, so several
   * processes on one database spend one provider budget. Without it each process keeps its own.
   */
  readonly rateBudget?: RateBudget;

  /** Releases what the store opened itself. */
  close(): Promise<void>;
}

export interface StoreCapabilities {
  /** Several processes may claim at once over one database (row locks / SKIP LOCKED). */
  readonly multiProcess: boolean;
  /** Data survives a process restart. */
  readonly durable: boolean;
  /** Implements `transaction()`: handler writes and completion commit together. */
  readonly transactionalHandler: boolean;
}

export type InsertDeliveryResult =
  | { readonly status: "inserted"; readonly deliveryId: string }
  | { readonly status: "duplicate"; readonly deliveryId: string; readonly duplicateOf: string };

export interface UpdateDeliveryInput {
  readonly id: string;
  readonly status?: DeliveryStatus;
  readonly reason?: string | null;
  readonly response?: ReceiveResult;
  /** Frees the dedupe key (a failed direct delivery: the provider's resend must be processed). */
  readonly releaseDedupeKey?: boolean;
  /** Events to add (re-parsing an `unparseable` delivery); inserted atomically with the update. */
  readonly events?: readonly NewEvent[];
  readonly tenantIds?: readonly string[];
  /** Applies only while the delivery's status is this one (checked and changed atomically). */
  readonly ifStatus?: DeliveryStatus;
}

export interface ClaimDueInput {
  readonly now: Date;
  readonly limit: number;
  /**
   * How long the claim holds. A store shared by processes times it on its own clock (PostgresStore:
   * the database's), not from `now`; a single-process store may use `now + leaseMs`.
   */
  readonly leaseMs: number;
  /** Who claims; recorded with the lease. */
  readonly workerId: string;
  readonly ids?: readonly string[];
  /**
   * Claim by entity group (ignored with `ids`): whole (integration, tenant, entity type) groups, each
   * in whole batches of `batchSize(group)` distinct entities (the last one smaller only when the group
   * has no more due entities), every due event of a claimed entity with it. Tenants with due work take
   * turns, one batch each per round, earliest-due tenant first; the claim starts no batch that would
   * take it past `limit` events, but always claims at least one batch, so `limit` may be exceeded by
   * one batch (`planGroupClaim` in "webhook-inbox/store-kit" is the plan every store follows).
   */
  readonly groups?: GroupClaimOptions;
}

/** The (integration, tenant, entity type) a provider call downloads together. */
export interface EntityGroup {
  readonly integration: string;
  readonly tenantId: string;
  readonly entityType: string;
}

export interface GroupClaimOptions {
  /** Distinct entities one provider call downloads for the group (the provider's `maxBatchSize`). */
  readonly batchSize: (group: EntityGroup) => number;
}

/** A claimed event and the token that proves the claim. */
export type ClaimedEvent = EventRecord & { readonly leaseToken: string };

export interface ClaimResult {
  readonly events: readonly ClaimedEvent[];
  /** Events marked `failed` by this claim because their attempts kept being interrupted. */
  readonly poisoned: readonly EventRecord[];
}

export interface FinishAttemptInput {
  readonly eventId: string;
  readonly leaseToken: string;
  /** The attempt to record; `null` when the event was released without being attempted (limiter said wait). */
  readonly attempt: {
    readonly trigger: AttemptTrigger;
    readonly startedAt: Date;
    readonly endedAt: Date;
    readonly outcome: AttemptOutcome;
    readonly error: string | null;
  } | null;
  readonly status: EventStatus;
  /** New automatic-attempt count. */
  readonly attemptsMade: number;
  readonly nextAttemptAt: Date | null;
  readonly nextTrigger: AttemptTrigger;
  readonly lastError: string | null;
  readonly supersededBy?: string | null;
  /** Resource data to keep with the event. */
  readonly resource?: { readonly data: unknown; readonly downloadedAt: Date };
  /**
   * Watermark to advance; the store keeps whichever of old and new is newer by (occurredAt, eventId),
   * and the greater `downloadSequence` and later `downloadedAt` of the two.
   */
  readonly watermark?: Watermark;
  /** The finish time (`updatedAt`). */
  readonly now: Date;
}

export interface RequeueInput {
  readonly now: Date;
  readonly ids?: readonly string[];
  readonly filter?: EventFilter;
}

export interface NextDueAtInput {
  /** The caller's current time: lease expiries timed on the store's clock are reported on this one. */
  readonly now: Date;
}
