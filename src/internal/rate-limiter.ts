import pLimit, { type LimitFunction } from "p-limit";
import type { Clock } from "../clock.ts";
import type { ProviderLimits, RateLimitObservation, RateWindow } from "../contracts/provider-adapter.ts";

/** Calls made inside one sliding window: a queue of call times. */
class WindowLog {
  #times: number[] = [];
  #head = 0;
  constructor(readonly window: RateWindow) {}

  #prune(now: number): void {
    const from = now - this.window.intervalMs;
    while (this.#head < this.#times.length && this.#times[this.#head]! <= from) this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#times.length) {
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
  }

  used(now: number): number {
    this.#prune(now);
    return this.#times.length - this.#head;
  }

  /** When the next call fits, or `now` if it fits already. */
  availableAt(now: number): number {
    if (this.used(now) < this.window.limit) return now;
    // The call that must leave the window for one more to fit.
    const index = this.#head + (this.#times.length - this.#head - this.window.limit);
    return this.#times[index]! + this.window.intervalMs;
  }

  record(now: number, count = 1): void {
    for (let i = 0; i < count; i += 1) this.#times.push(now);
  }
}

class Bucket {
  readonly logs: WindowLog[];
  pausedUntil = 0;
  constructor(windows: readonly RateWindow[]) {
    this.logs = windows.map((window) => new WindowLog(window));
  }
  availableAt(now: number): number {
    let at = Math.max(now, this.pausedUntil);
    for (const log of this.logs) at = Math.max(at, log.availableAt(now));
    return at;
  }
  record(now: number): void {
    for (const log of this.logs) log.record(now);
  }
  observe(now: number, window: string, remaining: number): void {
    const log = this.logs.find((candidate) => candidate.window.name === window);
    if (!log) return;
    // Another process (or an earlier run) spent budget we did not see: count it as spent now.
    const missing = log.window.limit - Math.max(0, remaining) - log.used(now);
    if (missing > 0) log.record(now, missing);
  }
}

export type Reservation = { readonly ok: true } | { readonly ok: false; readonly retryAt: Date };

/**
 * One budget per provider and tenant (plus one per provider for app-wide limits), shared by every
 * pass of this process. It never sleeps: a call that does not fit now is told when it will, and
 * the caller reschedules its events for then, so a long pause (Xero's daily limit) holds no worker.
 * Concurrency is a p-limit per tenant, so calls beyond it wait their turn in process.
 */
export class RateLimiter {
  #tenants = new Map<string, Bucket>();
  #apps = new Map<string, Bucket>();
  #concurrency = new Map<string, LimitFunction>();
  constructor(private readonly clock: Clock) {}

  #tenantBucket(provider: string, limits: ProviderLimits, tenantId: string): Bucket {
    const key = `${provider}\u0000${tenantId}`;
    let bucket = this.#tenants.get(key);
    if (!bucket) this.#tenants.set(key, (bucket = new Bucket(limits.tenant.windows)));
    return bucket;
  }

  #appBucket(provider: string, limits: ProviderLimits): Bucket {
    let bucket = this.#apps.get(provider);
    if (!bucket) this.#apps.set(provider, (bucket = new Bucket(limits.app?.windows ?? [])));
    return bucket;
  }

  /** The in-process concurrency gate of one tenant. */
  gate(provider: string, limits: ProviderLimits, tenantId: string): LimitFunction {
    const key = `${provider}\u0000${tenantId}`;
    let gate = this.#concurrency.get(key);
    if (!gate) this.#concurrency.set(key, (gate = pLimit(Math.max(1, limits.tenant.concurrency))));
    return gate;
  }

  /** Takes one call from every window if all have room; otherwise says when they will. */
  reserve(provider: string, limits: ProviderLimits, tenantId: string): Reservation {
    const now = this.clock.now().getTime();
    const tenant = this.#tenantBucket(provider, limits, tenantId);
    const app = this.#appBucket(provider, limits);
    const at = Math.max(tenant.availableAt(now), app.availableAt(now));
    if (at > now) return { ok: false, retryAt: new Date(at) };
    tenant.record(now);
    app.record(now);
    return { ok: true };
  }

  /** When a call for this tenant would fit (now or later). */
  availableAt(provider: string, limits: ProviderLimits, tenantId: string): Date {
    const now = this.clock.now().getTime();
    return new Date(Math.max(this.#tenantBucket(provider, limits, tenantId).availableAt(now), this.#appBucket(provider, limits).availableAt(now)));
  }

  /** The provider said "too many requests": nothing goes to this tenant (or app) until `until`. */
  pause(provider: string, limits: ProviderLimits, tenantId: string, scope: "tenant" | "app", until: Date): void {
    const bucket = scope === "app" ? this.#appBucket(provider, limits) : this.#tenantBucket(provider, limits, tenantId);
    bucket.pausedUntil = Math.max(bucket.pausedUntil, until.getTime());
  }

  observe(provider: string, limits: ProviderLimits, tenantId: string, observation: RateLimitObservation): void {
    const now = this.clock.now().getTime();
    const bucket = observation.scope === "app" ? this.#appBucket(provider, limits) : this.#tenantBucket(provider, limits, tenantId);
    bucket.observe(now, observation.window, observation.remaining);
  }
}
