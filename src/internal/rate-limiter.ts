import pLimit, { type LimitFunction } from "p-limit";
import type { Clock } from "../clock.ts";
import type { ProviderLimits, RateLimitObservation, RateWindow } from "../contracts/provider-adapter.ts";
import type { CallLimiter, RateLimitPauseReason, RateLimitSnapshot } from "./call-limiter.ts";

export type { RateLimitPauseReason, RateLimitSnapshot } from "./call-limiter.ts";
import { WindowLog } from "./window-log.ts";

/** How often (clock time) idle tenants are looked for, on the next reservation. */
const SWEEP_EVERY_MS = 60_000;

class Bucket {
  readonly logs: WindowLog[];
  pausedUntil = 0;
  /** Why the current pause began (the provider's throttle and which limit it named). */
  pauseReason: RateLimitPauseReason | null = null;
  constructor(windows: readonly RateWindow[]) {
    this.logs = windows.map((window) => new WindowLog(window));
  }
  availableAt(now: number): number {
    let at = Math.max(now, this.pausedUntil);
    for (const log of this.logs) at = Math.max(at, log.availableAt(now));
    return at;
  }
  /** Nothing counted, not paused: forgetting it loses nothing. */
  idle(now: number): boolean {
    return this.pausedUntil <= now && this.logs.every((log) => log.idle(now));
  }
  start(): void {
    for (const log of this.logs) log.start();
  }
  end(now: number): void {
    for (const log of this.logs) log.end(now);
  }
  observe(now: number, window: string, remaining: number): void {
    const log = this.logs.find((candidate) => candidate.window.name === window);
    if (!log) return;
    // Another process (or an earlier run) spent budget we did not see: count it as spent now.
    const missing = log.window.limit - Math.max(0, remaining) - log.used(now);
    if (missing > 0) log.record(now, missing);
  }
}

/** A granted call must report its end with `end()`; a refused one says when to come back. */
export type Reservation = { readonly ok: true; readonly end: () => void } | { readonly ok: false; readonly retryAt: Date };

/**
 * One budget per provider and tenant (plus one per provider for app-wide limits), shared by every
 * pass of this process. It never sleeps: a call that does not fit now is told when it will, and
 * the caller reschedules its events for then, so a long pause (Xero's daily limit) holds no worker.
 * Concurrency is a p-limit per tenant, so calls beyond it wait their turn in process. Memory stays
 * bounded: each window's log is bounded by its limit (window-log.ts), and a tenant with nothing
 * counted, no pause and no call waiting is forgotten at the next sweep (at most one per minute).
 */
export class RateLimiter implements CallLimiter {
  #tenants = new Map<string, Bucket>();
  #apps = new Map<string, Bucket>();
  #concurrency = new Map<string, LimitFunction>();
  #nextSweep = 0;
  constructor(private readonly clock: Clock) {}

  /** Tenants this process keeps a budget or a concurrency gate for. */
  get tenantCount(): number {
    return new Set([...this.#tenants.keys(), ...this.#concurrency.keys()]).size;
  }

  /** Forgets idle tenants: nothing counted in any window, not paused, no call running or waiting. */
  #sweep(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + SWEEP_EVERY_MS;
    for (const [key, bucket] of this.#tenants) {
      const gate = this.#concurrency.get(key);
      if (gate && (gate.activeCount > 0 || gate.pendingCount > 0)) continue;
      if (!bucket.idle(now)) continue;
      this.#tenants.delete(key);
      this.#concurrency.delete(key);
    }
    for (const [key, gate] of this.#concurrency) {
      if (!this.#tenants.has(key) && gate.activeCount === 0 && gate.pendingCount === 0) this.#concurrency.delete(key);
    }
  }

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
    this.#sweep(now);
    const tenant = this.#tenantBucket(provider, limits, tenantId);
    const app = this.#appBucket(provider, limits);
    const at = Math.max(tenant.availableAt(now), app.availableAt(now));
    if (at > now) return { ok: false, retryAt: new Date(at) };
    tenant.start();
    app.start();
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const at = this.clock.now().getTime();
      tenant.end(at);
      app.end(at);
    };
    return { ok: true, end };
  }

  /** The provider said "too many requests": nothing goes to this tenant (or app) until `until`. */
  pause(provider: string, limits: ProviderLimits, tenantId: string, scope: "tenant" | "app", until: Date, reason?: Omit<RateLimitPauseReason, "at">): void {
    const bucket = scope === "app" ? this.#appBucket(provider, limits) : this.#tenantBucket(provider, limits, tenantId);
    if (until.getTime() >= bucket.pausedUntil && reason) bucket.pauseReason = { ...reason, at: this.clock.now() };
    bucket.pausedUntil = Math.max(bucket.pausedUntil, until.getTime());
  }

  /** Every budget this process keeps, tenant by tenant (app-wide ones with `tenantId: null`). */
  snapshot(): RateLimitSnapshot[] {
    const now = this.clock.now().getTime();
    const describe = (provider: string, tenantId: string | null, bucket: Bucket): RateLimitSnapshot => {
      const paused = bucket.pausedUntil > now;
      return {
        provider,
        tenantId,
        pausedUntil: paused ? new Date(bucket.pausedUntil) : null,
        pauseReason: paused ? bucket.pauseReason : null,
        windows: bucket.logs.map((log) => {
          const used = log.used(now);
          return { name: log.window.name, limit: log.window.limit, intervalMs: log.window.intervalMs, used, remaining: Math.max(0, log.window.limit - used) };
        }),
      };
    };
    const out: RateLimitSnapshot[] = [];
    for (const [key, bucket] of this.#tenants) {
      const at = key.indexOf("\u0000");
      out.push(describe(key.slice(0, at), key.slice(at + 1), bucket));
    }
    for (const [provider, bucket] of this.#apps) if (bucket.logs.length > 0 || bucket.pausedUntil > now) out.push(describe(provider, null, bucket));
    return out;
  }

  /** The same as `snapshot()`: this process's budgets are all there is. */
  async read(): Promise<RateLimitSnapshot[]> {
    return this.snapshot();
  }

  observe(provider: string, limits: ProviderLimits, tenantId: string, observation: RateLimitObservation): void {
    const now = this.clock.now().getTime();
    const bucket = observation.scope === "app" ? this.#appBucket(provider, limits) : this.#tenantBucket(provider, limits, tenantId);
    bucket.observe(now, observation.window, observation.remaining);
  }
}
