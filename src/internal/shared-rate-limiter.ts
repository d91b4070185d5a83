/**
 * SharedRateLimiter: the rate limiter of an inbox whose store has a shared budget (`store.rateBudget`,
 * e.g. PostgresStore). Every reservation, end and pause goes to the store, so all the instances on
 * one database spend one budget per (provider, tenant, window) and per app window, and one
 * instance's 429 parks the tenant for all of them. Like the in-process limiter it never sleeps: a
 * call that does not fit is told when it will.
 *
 * In process it keeps only what saves round trips and what the dashboard shows: the tenant's
 * concurrency gate, each budget's refusal and pause times (calls before them are refused without
 * asking), the remaining counts responses reported (sent with the next end), the call ends the store
 * could not record (recorded before the next reservation) and the budgets as last read. All of it is
 * forgotten for idle tenants at most once a minute.
 */
import pLimit, { type LimitFunction } from "p-limit";
import type { Clock } from "../clock.ts";
import type { ProviderLimits, RateLimitObservation } from "../contracts/provider-adapter.ts";
import type { BudgetLimits, BudgetObservation, BudgetState, EndCallsInput, RateBudget } from "../contracts/rate-budget.ts";
import type { CallLimiter, CallReservation, RateLimitPauseReason, RateLimitSnapshot } from "./call-limiter.ts";

/** How often (clock time) idle tenants are looked for, on the next reservation. */
const SWEEP_EVERY_MS = 60_000;
/**
 * A refusal that ends this soon is waited out here and asked again, instead of handing the call back
 * to be claimed by a later pass: a deferred call goes out only after this pass's handlers and finishes,
 * the next timer and a claim (measured at 100–300 ms on PostgreSQL, the "reaction lag" per window),
 * so a slot freeing a few ms after a refusal was otherwise lost for that long.
 */
const SHORT_WAIT_MS = 30;
/** At most this many short waits per call, so a pass is held up by at most MAX_SHORT_WAITS × SHORT_WAIT_MS. */
const MAX_SHORT_WAITS = 3;
/** When the store cannot be reached, calls wait this long rather than spend a budget nobody counts. */
export const STORE_UNREACHABLE_RETRY_MS = 1_000;
/** Most call ends kept for the store while it cannot be reached (beyond it the oldest are dropped: their holds run out anyway). */
const MAX_UNRECORDED_ENDS = 1_000;

/** A provider's limits as the store's budget takes them. */
export function budgetLimits(provider: string, limits: ProviderLimits): BudgetLimits {
  return { provider, concurrency: Math.max(1, limits.tenant.concurrency), tenantWindows: limits.tenant.windows, appWindows: limits.app?.windows ?? [] };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const keyOf = (provider: string, tenantId: string | null) => `${provider}\u0000${tenantId ?? ""}`;

export class SharedRateLimiter implements CallLimiter {
  readonly #budget: RateBudget;
  readonly #clock: Clock;
  readonly #limits: () => readonly BudgetLimits[];
  readonly #onError: (error: unknown, message: string) => void;
  readonly #gates = new Map<string, LimitFunction>();
  /** Per budget (tenant's, or app's with `tenantId` ""): a pause this instance asked for holds until this time. */
  readonly #pausedUntil = new Map<string, number>();
  /** Per budget: the store refused a call until this time (as the budget stood then: an end recorded later can free it sooner). */
  readonly #refusedUntil = new Map<string, number>();
  /**
   * Call ends the store could not record (it was unreachable): recorded before the next reservation, so
   * their calls stop counting as in flight then, not only when their hold runs out; one database blip
   * would otherwise hold a tenant's concurrency for the whole hold (the fetch timeout).
   */
  readonly #unrecordedEnds: EndCallsInput[] = [];
  /** Per tenant: the last remaining count reported for each window, sent with the next end. */
  readonly #observations = new Map<string, Map<string, BudgetObservation>>();
  readonly #seen = new Map<string, { readonly state: BudgetState; readonly readAt: Date }>();
  #nextSweep = 0;

  /**
   * @param limits every provider's limits this inbox runs (what `read()` asks the store about)
   * @param onError a store failure, reported (the call is then deferred, never sent uncounted)
   */
  constructor(budget: RateBudget, clock: Clock, limits: () => readonly BudgetLimits[], onError: (error: unknown, message: string) => void) {
    this.#budget = budget;
    this.#clock = clock;
    this.#limits = limits;
    this.#onError = onError;
  }

  /** Tenants this process keeps something for (gate, pause or refusal time, observations or last-read budget). */
  get tenantCount(): number {
    return new Set([...this.#gates.keys(), ...this.#pausedUntil.keys(), ...this.#refusedUntil.keys(), ...this.#observations.keys(), ...this.#seen.keys()]).size;
  }

  gate(provider: string, limits: ProviderLimits, tenantId: string): LimitFunction {
    const key = keyOf(provider, tenantId);
    let gate = this.#gates.get(key);
    if (!gate) this.#gates.set(key, (gate = pLimit(Math.max(1, limits.tenant.concurrency))));
    return gate;
  }

  async reserve(provider: string, limits: ProviderLimits, tenantId: string, holdMs: number): Promise<CallReservation> {
    for (let waits = 0; ; waits += 1) {
      const answer = await this.#reserveOnce(provider, limits, tenantId, holdMs);
      if (answer.ok || waits >= MAX_SHORT_WAITS) return answer;
      const retryAt = answer.retryAt.getTime();
      let now = this.#clock.now().getTime();
      if (retryAt - now > SHORT_WAIT_MS) return answer;
      while (now < retryAt) {
        await sleep(Math.max(1, retryAt - now));
        const later = this.#clock.now().getTime();
        // A clock that does not follow real time (a test's manual clock) would refuse again: hand the call back now.
        if (later <= now) return answer;
        now = later;
      }
    }
  }

  async #reserveOnce(provider: string, limits: ProviderLimits, tenantId: string, holdMs: number): Promise<CallReservation> {
    const now = this.#clock.now().getTime();
    this.#sweep(now);
    if (this.#unrecordedEnds.length > 0) await this.#recordUnrecordedEnds();
    const key = keyOf(provider, tenantId);
    const app = keyOf(provider, null);
    const known = Math.max(
      this.#pausedUntil.get(key) ?? 0,
      this.#pausedUntil.get(app) ?? 0,
      this.#refusedUntil.get(key) ?? 0,
      this.#refusedUntil.get(app) ?? 0,
    );
    if (known > now) return { ok: false, retryAt: new Date(known) };
    const shared = budgetLimits(provider, limits);
    let answer: Awaited<ReturnType<RateBudget["reserveCalls"]>>;
    try {
      answer = await this.#budget.reserveCalls({ limits: shared, tenantId, count: 1, holdMs, now: new Date(now) });
    } catch (error) {
      this.#onError(error, `the shared rate budget could not be reached; ${provider} calls for tenant ${tenantId} wait ${STORE_UNREACHABLE_RETRY_MS} ms`);
      return { ok: false, retryAt: new Date(now + STORE_UNREACHABLE_RETRY_MS) };
    }
    this.#remember(answer.budgets);
    if (!answer.granted) {
      this.#refusedUntil.set(key, answer.retryAt.getTime());
      return { ok: false, retryAt: answer.retryAt };
    }
    const { token } = answer;
    let ended = false;
    const end = async () => {
      if (ended) return;
      ended = true;
      const pending = this.#observations.get(key);
      this.#observations.delete(key);
      const observations = pending ? [...pending.values()] : [];
      const input: EndCallsInput = { limits: shared, tenantId, token, count: 1, now: this.#clock.now(), observations };
      try {
        await this.#budget.endCalls(input);
      } catch (error) {
        // Until it is recorded the call counts as in flight (at most until its hold ends): later, never earlier.
        if (this.#unrecordedEnds.push(input) > MAX_UNRECORDED_ENDS) this.#unrecordedEnds.shift();
        this.#onError(
          error,
          `the shared rate budget could not record the end of a ${provider} call for tenant ${tenantId}; it is recorded before the next reservation`,
        );
      }
    };
    return { ok: true, end };
  }

  observe(provider: string, _limits: ProviderLimits, tenantId: string, observation: RateLimitObservation): void {
    const key = keyOf(provider, tenantId);
    let pending = this.#observations.get(key);
    if (!pending) this.#observations.set(key, (pending = new Map()));
    pending.set(`${observation.scope}\u0000${observation.window}`, { scope: observation.scope, window: observation.window, remaining: observation.remaining });
  }

  async pause(
    provider: string,
    _limits: ProviderLimits,
    tenantId: string,
    scope: "tenant" | "app",
    until: Date,
    reason?: Omit<RateLimitPauseReason, "at">,
  ): Promise<void> {
    const key = keyOf(provider, scope === "app" ? null : tenantId);
    // This instance stops at once, whether or not the store hears of it.
    this.#pausedUntil.set(key, Math.max(this.#pausedUntil.get(key) ?? 0, until.getTime()));
    const at = this.#clock.now();
    const full = { status: reason?.status ?? 429, limit: reason?.limit ?? null, message: reason?.message ?? "rate limited", at };
    try {
      await this.#budget.pause({ provider, tenantId: scope === "app" ? null : tenantId, until, reason: full });
    } catch (error) {
      this.#onError(error, `the shared rate budget could not record a ${provider} pause until ${until.toISOString()}; only this instance holds it`);
    }
  }

  snapshot(): RateLimitSnapshot[] {
    const now = this.#clock.now().getTime();
    return [...this.#seen.values()].map(({ state, readAt }) => toSnapshot(state, readAt, now));
  }

  async read(): Promise<RateLimitSnapshot[]> {
    const now = this.#clock.now();
    try {
      const states = await this.#budget.budgets({ now, limits: this.#limits() });
      this.#remember(states);
      return states.map((state) => toSnapshot(state, now, now.getTime()));
    } catch (error) {
      this.#onError(error, "the shared rate budget could not be read; showing what this instance last saw");
      return this.snapshot();
    }
  }

  /**
   * Records the ends the store missed, oldest first, and stops at the first it still cannot take. A
   * budget one of them frees is asked again at once: its refusal was counted with that call in flight.
   * (A failed end may in fact have committed, the answer lost with the connection; recorded twice, it
   * counts the call twice in the windows, which errs on the side of fewer calls.)
   */
  async #recordUnrecordedEnds(): Promise<void> {
    const pending = this.#unrecordedEnds.splice(0);
    for (let index = 0; index < pending.length; index += 1) {
      const input = pending[index]!;
      try {
        await this.#budget.endCalls(input);
      } catch {
        // Still unreachable (already reported when the end first failed): kept for the next reservation.
        this.#unrecordedEnds.unshift(...pending.slice(index));
        return;
      }
      this.#refusedUntil.delete(keyOf(input.limits.provider, input.tenantId));
      if (input.limits.appWindows.length > 0) this.#refusedUntil.delete(keyOf(input.limits.provider, null));
    }
  }

  #remember(states: readonly BudgetState[]): void {
    const readAt = this.#clock.now();
    for (const state of states) this.#seen.set(keyOf(state.provider, state.tenantId), { state, readAt });
  }

  /** Forgets tenants with no call running or waiting here, no refusal in force and nothing counted when last read a window ago. */
  #sweep(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + SWEEP_EVERY_MS;
    for (const [key, gate] of this.#gates) if (gate.activeCount === 0 && gate.pendingCount === 0) this.#gates.delete(key);
    for (const times of [this.#pausedUntil, this.#refusedUntil]) for (const [key, at] of times) if (at <= now) times.delete(key);
    for (const key of this.#observations.keys()) if (!this.#gates.has(key)) this.#observations.delete(key);
    for (const [key, { state, readAt }] of this.#seen) {
      const longest = Math.max(0, ...state.windows.map((window) => window.intervalMs));
      const pausedUntil = state.pausedUntil?.getTime() ?? 0;
      if (pausedUntil <= now && readAt.getTime() + longest <= now) this.#seen.delete(key);
    }
  }
}

function toSnapshot(state: BudgetState, readAt: Date, now: number): RateLimitSnapshot {
  const paused = state.pausedUntil !== null && state.pausedUntil.getTime() > now;
  return {
    provider: state.provider,
    tenantId: state.tenantId,
    pausedUntil: paused ? state.pausedUntil : null,
    pauseReason: paused ? state.pauseReason : null,
    windows: state.windows.map((window) => ({ ...window, remaining: Math.max(0, window.limit - window.used) })),
    shared: { readAt, inFlight: state.inFlight },
  };
}
