// The instrumentation contract: how the inbox reports its receives, passes, provider calls and handler attempts to a tracer and a meter.
import type { InboxEventMap, InboxEventName } from "../events.ts";
import type { RateLimitSnapshot } from "../internal/rate-limiter.ts";
import type { EventCount, EventFilter, InboxEvent } from "../types.ts";

/**
 * One operation (a receive or a pass) while it runs, as the instrumentation made it. The inbox hands it
 * back as the `parent` of the provider calls and handler attempts it contains, and forwards to it the
 * lifecycle events emitted while it runs (`delivery:received` in a receive, `event:stale` in a pass),
 * so an instrumentation need not rely on an async context to know where they belong.
 */
export interface InstrumentationScope {
  lifecycle<K extends InboxEventName>(name: K, payload: Parameters<InboxEventMap[K]>[0]): void;
}

/** A `receive()` call, before anything is read. */
export interface ReceiveStart {
  /** As the request named it (may be unknown to the inbox: it is then refused). */
  readonly integration: string;
  /** The integration's provider, or `"unknown"`. */
  readonly provider: string;
  /** The request's method, upper-case. */
  readonly method: string;
}

/**
 * A processing pass that claimed something. A pass that claims nothing is not reported: the
 * scheduler polls every `pollIntervalMs`, and empty passes would flood a trace backend.
 */
export interface PassStart {
  /** `scheduler`: started by the inbox's scheduler; `run-due`: the host called `runDue()`/`drain()`; `manual`: `inbox.retry(id)`. */
  readonly origin: "scheduler" | "run-due" | "manual";
  readonly workerId: string;
  /** When the pass began, before its claim. */
  readonly startedAt: Date;
  /** Events claimed to be processed. */
  readonly claimed: number;
  /** Events found exhausted by interrupted attempts (announced with `event:exhausted`, not processed). */
  readonly poisoned: number;
}

/** One call to a provider's API (a batch download, or the single-record read that confirms a missing record). */
export interface ProviderCallStart {
  readonly provider: string;
  readonly tenantId: string;
  readonly entityType: string;
  /** Entity ids the call asks for. */
  readonly ids: readonly string[];
  readonly purpose: "batch" | "confirm";
  /** How long the call waited for a slot under the tenant's concurrency limit, in milliseconds. */
  readonly queuedMs: number;
}

/**
 * The rate limiter made work wait: `queued` for a concurrency slot before a call (which then ran), or
 * `deferred`: the tenant's (or app's) budget had no room, no call was made and the events were handed
 * back due at `retryAt`.
 */
export interface RateLimiterWait {
  readonly provider: string;
  readonly tenantId: string;
  readonly entityType: string;
  readonly kind: "queued" | "deferred";
  /** Milliseconds waited (`queued`) or to wait (`deferred`). */
  readonly waitMs: number;
  /** Entities held up. */
  readonly entities: number;
}

/** What an instrumentation may read from the inbox it instruments (for metrics and observable gauges). */
export interface InstrumentationTarget {
  /** Subscribes to a lifecycle event (see `InboxEventMap`). */
  on<K extends InboxEventName>(name: K, listener: InboxEventMap[K]): void;
  /** Event counts by integration and status, from the store. */
  countEvents(filter: EventFilter): Promise<EventCount[]>;
  /** Earliest `nextAttemptAt` of a claimable event (leases included), from the store. */
  nextDueAt(): Promise<Date | null>;
  /** This process's rate-limit budgets (see `inbox.rateLimits()`). */
  rateLimits(): RateLimitSnapshot[];
  /** The inbox's clock. */
  now(): Date;
}

/**
 * Hooks the inbox calls around its work, for tracing and metrics; every member is optional.
 * `webhook-inbox/opentelemetry` implements it with OpenTelemetry spans and metrics; a host may write
 * its own. A wrapping hook (`receive`, `pass`, `providerCall`, `handlerAttempt`) must call `work`
 * exactly once and settle as it settles (same value, same error); a hook that throws before calling
 * `work` breaks that operation, so keep hooks total. Without an instrumentation nothing is wrapped.
 */
export interface Instrumentation {
  /** Around one `receive()`: screening, verifying, storing (and in `direct` mode processing) and the answer. */
  receive?<T>(start: ReceiveStart, work: (scope: InstrumentationScope) => Promise<T>): Promise<T>;
  /** Around the processing of one pass's claimed events, up to their recorded outcomes. */
  pass?<T>(start: PassStart, work: (scope: InstrumentationScope) => Promise<T>): Promise<T>;
  /** Around one provider API call; a `RateLimitedError` or `ProviderRequestError` it throws is the provider's answer. */
  providerCall?<T>(start: ProviderCallStart, parent: InstrumentationScope | undefined, work: () => Promise<T>): Promise<T>;
  /** Around one handler attempt (the host's handler, its timeout included); it throws when the attempt failed. */
  handlerAttempt?<T>(event: InboxEvent, parent: InstrumentationScope | undefined, work: () => Promise<T>): Promise<T>;
  /** The rate limiter made work wait (see `RateLimiterWait`). */
  rateLimiterWait?(wait: RateLimiterWait, parent: InstrumentationScope | undefined): void;
  /** Called once, when the inbox is created: subscribe to lifecycle events, register gauges. */
  attach?(target: InstrumentationTarget): void;
}
