/** Store conformance, section 13. rate budget: the optional shared provider budget (`store.rateBudget`). */
import assert from "node:assert/strict";
import type { BudgetLimits, RateBudget, ReserveCallsResult, WebhookStore } from "../../index.ts";
import { at } from "./fixtures.ts";
import type { ConformanceSuite } from "./suite.ts";

const MINUTE = 60_000;
const DAY = 86_400_000;
const HOLD_MS = 5_000;

/** A provider with two tenant windows, a tenant concurrency of 2 and an app window. */
const LIMITS: BudgetLimits = {
  provider: "test",
  concurrency: 2,
  tenantWindows: [
    { name: "minute", limit: 3, intervalMs: MINUTE },
    { name: "day", limit: 5, intervalMs: DAY },
  ],
  appWindows: [{ name: "app-minute", limit: 4, intervalMs: MINUTE }],
};

function granted(result: ReserveCallsResult): string {
  assert.equal(result.granted, true, `expected a grant, got ${JSON.stringify(result)}`);
  return (result as { token: string }).token;
}

function refusedUntil(result: ReserveCallsResult): number {
  assert.equal(result.granted, false, "expected a refusal");
  return (result as { retryAt: Date }).retryAt.getTime() - at(0).getTime();
}

export function rateBudgetSection(suite: ConformanceSuite): void {
  const { describe, it, skip, itWithSibling } = suite;

  /** The test's body, run only when the store has a shared budget (the title says it is needed). */
  function itWithBudget(title: string, body: (budget: RateBudget) => Promise<void>): void {
    it(`${title} [needs rateBudget]`, async (...context) => {
      const budget = suite.store.rateBudget;
      if (!budget) {
        skip(context, "the store has no rateBudget: each process keeps its own limiter");
        return;
      }
      await body(budget);
    });
  }

  const reserve = (budget: RateBudget, tenantId: string, now: Date, extra: { count?: number; holdMs?: number; limits?: BudgetLimits } = {}) =>
    budget.reserveCalls({ limits: extra.limits ?? LIMITS, tenantId, count: extra.count ?? 1, holdMs: extra.holdMs ?? HOLD_MS, now });
  const end = (budget: RateBudget, tenantId: string, token: string, now: Date, limits: BudgetLimits = LIMITS) =>
    budget.endCalls({ limits, tenantId, token, count: 1, now });

  describe("13. rate budget", () => {
    itWithBudget("grants a window's limit, then refuses until the first call (dated by its end) leaves the window", async (budget) => {
      for (const offset of [0, 10, 20]) {
        const token = granted(await reserve(budget, "t1", at(offset)));
        await end(budget, "t1", token, at(offset + 100));
      }
      assert.equal(refusedUntil(await reserve(budget, "t1", at(1_000))), 100 + MINUTE);
      assert.equal(refusedUntil(await reserve(budget, "t1", at(100 + MINUTE - 1))), 100 + MINUTE);
      granted(await reserve(budget, "t1", at(100 + MINUTE)));
      // Another tenant has its own windows.
      granted(await reserve(budget, "t2", at(1_000)));
    });

    itWithBudget(
      "counts calls in flight in every window and against the tenant's concurrency; one never ended stops counting in flight after holdMs",
      async (budget) => {
        const first = granted(await reserve(budget, "t1", at(0)));
        granted(await reserve(budget, "t1", at(1)));
        // Two in flight: the third waits for one of them (a short recheck, not the window).
        const wait = refusedUntil(await reserve(budget, "t1", at(2)));
        assert.ok(wait > 2 && wait <= 2 + 1_000, `a short recheck, got ${wait}`);
        await end(budget, "t1", first, at(50));
        granted(await reserve(budget, "t1", at(60)));
        // Three counted in the minute (one ended, two in flight): full until the ended one leaves.
        assert.equal(refusedUntil(await reserve(budget, "t1", at(70))), 50 + MINUTE);
        // The two never ended: their hold runs out at 1 + HOLD_MS and 60 + HOLD_MS; they count in the windows until then + the interval.
        const states = await budget.budgets({ now: at(HOLD_MS + 100), limits: [LIMITS] });
        const tenant = states.find((state) => state.tenantId === "t1");
        assert.ok(tenant, "the tenant's budget is listed");
        assert.equal(tenant.inFlight, 0);
        assert.deepEqual(
          tenant.windows.map((window) => [window.name, window.used]),
          [
            ["minute", 3],
            ["day", 3],
          ],
        );
        assert.equal(refusedUntil(await reserve(budget, "t1", at(HOLD_MS + 100))), 50 + MINUTE);
        granted(await reserve(budget, "t1", at(60 + HOLD_MS + MINUTE + 1)));
      },
    );

    itWithBudget("reserves several calls all or none, and counts them against the app's window across tenants", async (budget) => {
      granted(await reserve(budget, "t1", at(0), { count: 2 }));
      assert.equal((await reserve(budget, "t1", at(1), { count: 2 })).granted, false);
      const wide = { ...LIMITS, concurrency: 10 };
      granted(await reserve(budget, "t2", at(2), { limits: wide }));
      granted(await reserve(budget, "t3", at(3), { limits: wide }));
      // The app's minute holds 4: t1's two, t2's and t3's. A fourth tenant waits.
      assert.equal((await reserve(budget, "t4", at(4), { limits: wide })).granted, false);
      const app = (await budget.budgets({ now: at(5), limits: [wide] })).find((state) => state.tenantId === null);
      assert.deepEqual(
        app?.windows.map((window) => [window.name, window.used]),
        [["app-minute", 4]],
      );
    });

    itWithBudget("counts a long window per minute: a call ended inside a minute leaves the day window a day after that minute's end", async (budget) => {
      const dayOnly: BudgetLimits = { provider: "test", concurrency: 5, tenantWindows: [{ name: "day", limit: 2, intervalMs: DAY }], appWindows: [] };
      for (const offset of [1_000, 2_000])
        await end(budget, "t1", granted(await reserve(budget, "t1", at(offset), { limits: dayOnly })), at(offset + 500), dayOnly);
      assert.equal(refusedUntil(await reserve(budget, "t1", at(3_000), { limits: dayOnly })), MINUTE + DAY);
    });

    itWithBudget("pauses a tenant or the whole app for every caller until `until`; a later, shorter pause does not shorten it", async (budget) => {
      const reason = { status: 429, limit: "minute", message: "rate limit exceeded", at: at(0) };
      await budget.pause({ provider: "test", tenantId: "t1", until: at(30_000), reason });
      await budget.pause({ provider: "test", tenantId: "t1", until: at(10_000), reason: { ...reason, message: "shorter" } });
      assert.equal(refusedUntil(await reserve(budget, "t1", at(1))), 30_000);
      granted(await reserve(budget, "t2", at(1)));
      const states = await budget.budgets({ now: at(2), limits: [LIMITS] });
      const paused = states.find((state) => state.tenantId === "t1");
      assert.deepEqual(paused?.pausedUntil, at(30_000));
      assert.deepEqual(paused?.pauseReason, reason);

      await budget.pause({ provider: "test", tenantId: null, until: at(40_000), reason: { ...reason, limit: "app-minute" } });
      assert.equal(refusedUntil(await reserve(budget, "t2", at(3))), 40_000);
      assert.equal(refusedUntil(await reserve(budget, "t1", at(3))), 40_000);
      granted(await reserve(budget, "t1", at(40_000)));
      const after = await budget.budgets({ now: at(40_000), limits: [LIMITS] });
      assert.equal(after.find((state) => state.tenantId === "t1")?.pausedUntil, null);
    });

    itWithBudget("counts calls the provider says were spent elsewhere (its remaining count below ours) as spent at the end", async (budget) => {
      const token = granted(await reserve(budget, "t1", at(0)));
      // The provider says 1 call is left in the minute: 2 were spent (ours and one elsewhere).
      await budget.endCalls({
        limits: LIMITS,
        tenantId: "t1",
        token,
        count: 1,
        now: at(100),
        observations: [{ scope: "tenant", window: "minute", remaining: 1 }],
      });
      const state = (await budget.budgets({ now: at(200), limits: [LIMITS] })).find((entry) => entry.tenantId === "t1");
      assert.deepEqual(
        state?.windows.map((window) => [window.name, window.used]),
        [
          ["minute", 2],
          ["day", 1],
        ],
      );
      granted(await reserve(budget, "t1", at(200)));
      assert.equal((await reserve(budget, "t1", at(300))).granted, false);
    });

    itWithSibling(
      "never grants more than a window's limit to concurrent reservations from two store instances [needs rateBudget]",
      async (sibling: WebhookStore) => {
        const mine = suite.store.rateBudget;
        const theirs = sibling.rateBudget;
        if (!mine || !theirs) return;
        const wide: BudgetLimits = {
          provider: "test",
          concurrency: 100,
          tenantWindows: [{ name: "minute", limit: 7, intervalMs: MINUTE }],
          appWindows: [{ name: "app-minute", limit: 50, intervalMs: MINUTE }],
        };
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            (i % 2 === 0 ? mine : theirs).reserveCalls({ limits: wide, tenantId: "t1", count: 1, holdMs: HOLD_MS, now: at(i) }),
          ),
        );
        assert.equal(results.filter((result) => result.granted).length, 7);
      },
    );
  });
}
