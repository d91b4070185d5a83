import { describe, expect, it } from "vitest";
import type { ProviderLimits } from "webhook-inbox";
import { ManualClock } from "webhook-inbox/testing";
import { RateLimiter } from "../../src/internal/rate-limiter.ts";

const limits: ProviderLimits = {
  tenant: { concurrency: 2, windows: [{ name: "minute", limit: 3, intervalMs: 60_000 }, { name: "day", limit: 5, intervalMs: 86_400_000 }] },
  app: { windows: [{ name: "app-minute", limit: 4, intervalMs: 60_000 }] },
  defaultRetryAfterMs: 60_000,
};

describe("RateLimiter", () => {
  it("allows `limit` calls per sliding window and says when the next one fits", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(clock);
    const t0 = clock.now().getTime();
    expect([0, 1, 2].map(() => limiter.reserve("p", limits, "a").ok)).toEqual([true, true, true]);
    const denied = limiter.reserve("p", limits, "a");
    expect(denied).toEqual({ ok: false, retryAt: new Date(t0 + 60_000) });
    clock.advance(60_000);
    expect(limiter.reserve("p", limits, "a").ok).toBe(true);
  });

  it("keeps tenants apart but shares the app-wide window", () => {
    const limiter = new RateLimiter(new ManualClock());
    for (let i = 0; i < 3; i += 1) limiter.reserve("p", limits, "a");
    expect(limiter.reserve("p", limits, "b").ok).toBe(true);
    expect(limiter.reserve("p", limits, "c").ok).toBe(false); // app-minute: 4 used
    expect(limiter.reserve("q", limits, "c").ok).toBe(true); // another provider
  });

  it("enforces the daily budget after the minute window frees", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(clock);
    const ok: boolean[] = [];
    for (let minute = 0; minute < 3; minute += 1) {
      for (let i = 0; i < 3; i += 1) ok.push(limiter.reserve("p", { ...limits, app: { windows: [] } }, "a").ok);
      clock.advance(60_000);
    }
    expect(ok.filter(Boolean)).toHaveLength(5);
  });

  it("pauses a tenant until a throttle's Retry-After", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(clock);
    limiter.pause("p", limits, "a", "tenant", new Date(clock.now().getTime() + 5_000));
    expect(limiter.reserve("p", limits, "a").ok).toBe(false);
    expect(limiter.reserve("p", limits, "b").ok).toBe(true);
    clock.advance(5_000);
    expect(limiter.reserve("p", limits, "a").ok).toBe(true);
  });

  it("counts budget the provider reports as spent elsewhere", () => {
    const limiter = new RateLimiter(new ManualClock());
    limiter.observe("p", limits, "a", { scope: "tenant", window: "minute", remaining: 1 });
    expect(limiter.reserve("p", limits, "a").ok).toBe(true);
    expect(limiter.reserve("p", limits, "a").ok).toBe(false);
  });
});
