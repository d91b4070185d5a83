/**
 * The shared rate budget: an optional store capability through which every instance of an app
 * reserves provider calls against one budget per (provider, tenant, window) and per app window, and
 * shares the pauses a provider's throttle asks for. Without it each process keeps its own budget
 * (src/internal/rate-limiter.ts), which is right for one process and wrong for several.
 *
 * Contract (checked by the conformance suite's section 13 on stores that have it):
 * - `reserveCalls` answers in one round trip and never sleeps: granted, or refused with the earliest
 *   time the calls could fit. Concurrent reservations from any number of store instances over one
 *   database never grant more calls than a window's `limit` in any `intervalMs`, nor more calls in
 *   flight for a tenant than its `concurrency`.
 * - A granted call counts from its reservation, in every window and as in flight, until `endCalls`
 *   dates it by its end (which is never earlier than when the provider saw it). A call never ended
 *   (its process died) stops counting as in flight at `now + holdMs` and leaves the windows
 *   `intervalMs` after that.
 * - A pause (tenant or app scope) refuses every reservation it covers until `until`, for every
 *   instance; a later pause never shortens an earlier one.
 * - Storage is bounded per budget by its windows (a window of `limit` calls keeps at most `limit`
 *   entries; a long one per-minute counters), and budgets nobody uses any more are removed.
 * - Times are the caller's clock, passed in (`now`); the store reads no clock.
 */

/** One window of a budget, as the provider adapter declares it (`RateWindow`). */
export interface BudgetWindow {
  readonly name: string;
  readonly limit: number;
  readonly intervalMs: number;
}

/** The limits of one provider, as the rate limiter enforces them. */
export interface BudgetLimits {
  readonly provider: string;
  /** Calls in flight at once per tenant. */
  readonly concurrency: number;
  readonly tenantWindows: readonly BudgetWindow[];
  readonly appWindows: readonly BudgetWindow[];
}

export interface ReserveCallsInput {
  readonly limits: BudgetLimits;
  readonly tenantId: string;
  /** Calls to reserve at once (all or none). */
  readonly count: number;
  /** The longest a call may stay in flight (its request timeout): past it, a call never ended stops counting as in flight. */
  readonly holdMs: number;
  readonly now: Date;
}

export type ReserveCallsResult =
  | {
      readonly granted: true;
      /** Proof of the reservation, passed back to `endCalls`. */
      readonly token: string;
      /** The tenant's and the app's budgets just after the grant. */
      readonly budgets: readonly BudgetState[];
    }
  | {
      readonly granted: false;
      /** The earliest the calls could fit (a pause's end, a window's next free slot, or a short recheck while calls are in flight). */
      readonly retryAt: Date;
      readonly budgets: readonly BudgetState[];
    };

/** What one response said about a window's remaining calls (a provider's rate-limit headers). */
export interface BudgetObservation {
  readonly scope: "tenant" | "app";
  readonly window: string;
  readonly remaining: number;
}

export interface EndCallsInput {
  readonly limits: BudgetLimits;
  readonly tenantId: string;
  readonly token: string;
  readonly count: number;
  /** When the calls ended: they are dated by it in every window. */
  readonly now: Date;
  /**
   * Remaining counts the provider reported on these calls' responses: a window that has fewer left
   * than the budget counts has calls spent elsewhere, counted as spent now.
   */
  readonly observations?: readonly BudgetObservation[];
}

/** Why a budget is paused: the provider's answer, and the limit it named. */
export interface BudgetPauseReason {
  readonly status: number;
  readonly limit: string | null;
  readonly message: string;
  readonly at: Date;
}

export interface PauseBudgetInput {
  readonly provider: string;
  /** `null` pauses the app's budget (every tenant of the provider). */
  readonly tenantId: string | null;
  readonly until: Date;
  readonly reason: BudgetPauseReason;
}

/** One budget as stored: a tenant's, or the app's (`tenantId: null`). */
export interface BudgetState {
  readonly provider: string;
  readonly tenantId: string | null;
  /** `null` when not paused at `now`. */
  readonly pausedUntil: Date | null;
  readonly pauseReason: BudgetPauseReason | null;
  /** Calls counted in each window at `now` (in flight included). */
  readonly windows: readonly { readonly name: string; readonly limit: number; readonly intervalMs: number; readonly used: number }[];
  /** Calls in flight now (tenant budgets). */
  readonly inFlight: number;
}

/** The capability a store exposes as `store.rateBudget`. */
export interface RateBudget {
  reserveCalls(input: ReserveCallsInput): Promise<ReserveCallsResult>;
  endCalls(input: EndCallsInput): Promise<void>;
  pause(input: PauseBudgetInput): Promise<void>;
  /** Every budget with calls counted or a pause in force at `now`, for the providers given. */
  budgets(input: { readonly now: Date; readonly limits: readonly BudgetLimits[] }): Promise<BudgetState[]>;
}
