// The rate limiter's memory is bounded by its windows, not by traffic or by how many tenants ever called.
import { describe, expect, it } from "vitest";
import type { ProviderLimits } from "webhook-inbox";
import { ManualClock } from "webhook-inbox/testing";
import { RateLimiter } from "../../src/internal/rate-limiter.ts";
import { WindowLog } from "../../src/internal/window-log.ts";

const DAY = 86_400_000;
const limits: ProviderLimits = {
  tenant: {
    concurrency: 2,
    windows: [
      { name: "minute", limit: 60, intervalMs: 60_000 },
      { name: "day", limit: 5_000, intervalMs: DAY },
    ],
  },
  defaultRetryAfterMs: 60_000,
};

function call(limiter: RateLimiter, tenant: string): boolean {
  const reservation = limiter.reserve("p", limits, tenant);
  if (reservation.ok) reservation.end();
  return reservation.ok;
}

describe("rate limiter memory", () => {
  it("a day window keeps per-minute buckets: a day of calls every 7 s holds at most one entry per minute", () => {
    const log = new WindowLog({ name: "day", limit: 1_000_000, intervalMs: DAY });
    const t0 = Date.UTC(2026, 0, 1);
    let calls = 0;
    for (let at = t0; at < t0 + 2 * DAY; at += 7_000) {
      log.start();
      log.end(at);
      calls += 1;
      expect(log.entries).toBeLessThanOrEqual(DAY / 60_000 + 1);
    }
    expect(calls).toBeGreaterThan(20_000);
    // Still counting exactly the calls of the last day (give or take the minute a bucket is held longer).
    const end = t0 + 2 * DAY;
    expect(log.used(end)).toBeGreaterThanOrEqual(Math.floor(DAY / 7_000));
    expect(log.used(end)).toBeLessThanOrEqual(Math.ceil((DAY + 60_000) / 7_000) + 1);
  });

  it("a bucketed call leaves the window no sooner than the provider frees it, and at most a minute later", () => {
    const log = new WindowLog({ name: "day", limit: 1, intervalMs: DAY });
    const at = Date.UTC(2026, 0, 1, 10, 0, 12, 345);
    log.start();
    log.end(at);
    const freeAt = log.availableAt(at);
    expect(freeAt).toBeGreaterThanOrEqual(at + DAY);
    expect(freeAt).toBeLessThanOrEqual(at + DAY + 60_000);
    expect(log.used(freeAt - 1)).toBe(1);
    expect(log.used(freeAt)).toBe(0);
  });

  it("budget reported as spent elsewhere is one entry, however large", () => {
    const log = new WindowLog({ name: "day", limit: 5_000, intervalMs: DAY });
    log.record(Date.UTC(2026, 0, 1), 4_999);
    expect(log.entries).toBe(1);
    expect(log.used(Date.UTC(2026, 0, 1))).toBe(4_999);
  });

  it("forgets idle tenants: 10,000 tenants calling once each are dropped once their windows empty, a paused one is kept", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(clock);
    for (let i = 0; i < 10_000; i += 1) {
      limiter.gate("p", limits, `t${i}`);
      expect(call(limiter, `t${i}`)).toBe(true);
    }
    limiter.pause("p", limits, "t0", "tenant", new Date(clock.now().getTime() + 3 * DAY), { status: 429, limit: "day", message: "day limit" });
    expect(limiter.tenantCount).toBe(10_000);
    // Within the day their calls still count, so every budget is kept.
    clock.advance(DAY / 2);
    call(limiter, "busy");
    expect(limiter.tenantCount).toBe(10_001);
    // A day (and the bucket's minute) later the windows are empty: only the paused tenant and the caller remain.
    clock.advance(DAY / 2 + 2 * 60_000);
    call(limiter, "busy");
    expect(limiter.tenantCount).toBe(2);
    expect(
      limiter
        .snapshot()
        .map((budget) => budget.tenantId)
        .sort(),
    ).toEqual(["busy", "t0"]);
    // A forgotten tenant starts afresh with its full budget.
    expect(call(limiter, "t1")).toBe(true);
  });

  it("keeps a tenant whose call is still running or waiting for its gate", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(clock);
    const gate = limiter.gate("p", limits, "slow");
    let release!: () => void;
    const running = gate(async () => {
      const reservation = limiter.reserve("p", limits, "slow");
      await new Promise<void>((resolve) => (release = resolve));
      if (reservation.ok) reservation.end();
    });
    await Promise.resolve();
    await Promise.resolve();
    clock.advance(2 * DAY);
    call(limiter, "other");
    expect(limiter.tenantCount).toBe(2);
    expect(limiter.gate("p", limits, "slow")).toBe(gate);
    release();
    await running;
  });
});
