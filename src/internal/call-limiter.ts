// The rate limiter as a pass and a direct delivery use it: the in-process one, or the store-backed shared one.
import type { LimitFunction } from "p-limit";
import type { ProviderLimits, RateLimitObservation } from "../contracts/provider-adapter.ts";

/** Why a budget is paused: the provider's own answer, and the limit it named when it said. */
export interface RateLimitPauseReason {
  /** `429` (or the provider's throttle status) — what the provider answered. */
  readonly status: number;
  /** The limit it named (`minute`, `day`, `month`...), when it said. */
  readonly limit: string | null;
  readonly message: string;
  readonly at: Date;
}

/** One budget as the operator sees it: a tenant's (or the app's, `tenantId: null`). Read-only. */
export interface RateLimitSnapshot {
  readonly provider: string;
  readonly tenantId: string | null;
  /** Nothing is sent until then, or `null` when not paused. */
  readonly pausedUntil: Date | null;
  readonly pauseReason: RateLimitPauseReason | null;
  /** Calls used in each window now (`day` is the daily budget), with what is left. */
  readonly windows: readonly {
    readonly name: string;
    readonly limit: number;
    readonly intervalMs: number;
    readonly used: number;
    readonly remaining: number;
  }[];
  /**
   * Present when the budget is the store's, shared by every instance (`store.rateBudget`): when it
   * was read (`used` counts are as of then) and the tenant's calls in flight across instances.
   * Absent for this process's own budget.
   */
  readonly shared?: { readonly readAt: Date; readonly inFlight: number };
}

/** A granted call must report its end with `end()`; a refused one says when to come back. */
export type CallReservation = { readonly ok: true; readonly end: () => void | Promise<void> } | { readonly ok: false; readonly retryAt: Date };

/**
 * What fetchGroup needs from a rate limiter. `RateLimiter` keeps the budget in this process;
 * `SharedRateLimiter` keeps it in the store (`store.rateBudget`), shared by every instance.
 */
export interface CallLimiter {
  /** The in-process concurrency gate of one tenant. */
  gate(provider: string, limits: ProviderLimits, tenantId: string): LimitFunction;
  /** One call, if every window (and the tenant's concurrency) has room; `holdMs`: the longest it may stay in flight. */
  reserve(provider: string, limits: ProviderLimits, tenantId: string, holdMs: number): CallReservation | Promise<CallReservation>;
  /** Remaining counts a response reported. */
  observe(provider: string, limits: ProviderLimits, tenantId: string, observation: RateLimitObservation): void;
  /** The provider throttled: nothing goes to this tenant (or app) until `until`. */
  pause(
    provider: string,
    limits: ProviderLimits,
    tenantId: string,
    scope: "tenant" | "app",
    until: Date,
    reason?: Omit<RateLimitPauseReason, "at">,
  ): void | Promise<void>;
  /** The budgets as this process last saw them. */
  snapshot(): RateLimitSnapshot[];
  /** The budgets now (read from the store when it is shared). */
  read(): Promise<RateLimitSnapshot[]>;
}
