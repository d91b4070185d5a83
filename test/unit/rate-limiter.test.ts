import { describe, expect, it } from "vitest";
import type { ProviderLimits } from "webhook-inbox";
import { ManualClock } from "webhook-inbox/testing";
import { RateLimiter } from "../../src/internal/rate-limiter.ts";

const limits: ProviderLimits = {
  tenant: {
    concurrency: 2,
    windows: [
      { name: "minute", limit: 3, intervalMs: 60_000 },
      { name: "day", limit: 5, intervalMs: 86_400_000 },
    ],
  },
  app: { windows: [{ name: "app-minute", limit: 4, intervalMs: 60_000 }] },
  defaultRetryAfterMs: 60_000,
};

/** A call that starts and ends at once. */
function call(limiter: RateLimiter, tenant: string, provider = "p", providerLimits = limits): boolean {
  const reservation = limiter.reserve(provider, providerLimits, tenant);
  if (reservation.ok) reservation.end();
  return reservation.ok;
}

describe("RateLimiter", () => {
  it("allows `limit` calls per sliding window and says when the next one fits", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(clock);
    const t0 = clock.now().getTime();
    expect([0, 1, 2].map(() => call(limiter, "a"))).toEqual([true, true, true]);
    expect(limiter.reserve("p", limits, "a")).toEqual({ ok: false, retryAt: new Date(t0 + 60_000) });
    clock.advance(60_000);
    expect(call(limiter, "a")).toBe(true);
  });

  it("dates a call by its end, so a slow call frees its slot no sooner than the provider counts it", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(clock);
    const t0 = clock.now().getTime();
    const minuteOnly: ProviderLimits = { tenant: { concurrency: 5, windows: [limits.tenant.windows[0]!] }, defaultRetryAfterMs: 60_000 };
    const slow = limiter.reserve("p", minuteOnly, "a");
    call(limiter, "a", "p", minuteOnly);
    call(limiter, "a", "p", minuteOnly);
    // Full: the first quick call leaves first; the slow one will be dated later than that.
    expect(limiter.reserve("p", minuteOnly, "a")).toEqual({ ok: false, retryAt: new Date(t0 + 60_000) });
    clock.advance(5_000);
    if (slow.ok) slow.end();
    clock.advance(55_000);
    expect(call(limiter, "a", "p", minuteOnly)).toBe(true); // the quick ones left the window
    expect(call(limiter, "a", "p", minuteOnly)).toBe(true);
    expect(limiter.reserve("p", minuteOnly, "a")).toEqual({ ok: false, retryAt: new Date(t0 + 65_000) }); // the slow one, dated at its end
  });

  it("looks again shortly when the window is full of calls still in flight", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(clock);
    for (let i = 0; i < 3; i += 1) limiter.reserve("p", limits, "a");
    expect(limiter.reserve("p", limits, "a")).toEqual({ ok: false, retryAt: new Date(clock.now().getTime() + 250) });
  });

  it("keeps tenants apart but shares the app-wide window", () => {
    const limiter = new RateLimiter(new ManualClock());
    for (let i = 0; i < 3; i += 1) call(limiter, "a");
    expect(call(limiter, "b")).toBe(true);
    expect(call(limiter, "c")).toBe(false); // app-minute: 4 used
    expect(call(limiter, "c", "q")).toBe(true); // another provider
  });

  it("enforces the daily budget after the minute window frees", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(clock);
    const ok: boolean[] = [];
    for (let minute = 0; minute < 3; minute += 1) {
      for (let i = 0; i < 3; i += 1) ok.push(call(limiter, "a", "p", { ...limits, app: { windows: [] } }));
      clock.advance(60_000);
    }
    expect(ok.filter(Boolean)).toHaveLength(5);
  });

  it("pauses a tenant until a throttle's Retry-After", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(clock);
    limiter.pause("p", limits, "a", "tenant", new Date(clock.now().getTime() + 5_000));
    expect(call(limiter, "a")).toBe(false);
    expect(call(limiter, "b")).toBe(true);
    clock.advance(5_000);
    expect(call(limiter, "a")).toBe(true);
  });

  it("counts budget the provider reports as spent elsewhere", () => {
    const limiter = new RateLimiter(new ManualClock());
    limiter.observe("p", limits, "a", { scope: "tenant", window: "minute", remaining: 1 });
    expect(call(limiter, "a")).toBe(true);
    expect(call(limiter, "a")).toBe(false);
  });
});
