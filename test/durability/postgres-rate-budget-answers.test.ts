// PostgresStore's shared rate budget answers exactly: instances asking at once for a freed slot get it once,
// every other one is told the exact moment the next slot frees, and a reservation returns the budgets as read.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { BudgetLimits, BudgetState, ReserveCallsResult } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";

const url = process.env.DATABASE_URL;
const MINUTE = 60_000;
const HOLD_MS = 30_000;
const T0 = Date.parse("2030-01-01T00:00:00.000Z");
const at = (ms: number) => new Date(T0 + ms);

const LIMITS: BudgetLimits = {
  provider: "answers",
  concurrency: 20,
  tenantWindows: [
    { name: "minute", limit: 3, intervalMs: MINUTE },
    { name: "day", limit: 1_000, intervalMs: 86_400_000 },
  ],
  appWindows: [{ name: "app-minute", limit: 100, intervalMs: MINUTE }],
};

/** The tenant's and the app's budgets from a read, in the order a reservation returns them (the tenant's first). */
function asReturned(states: readonly BudgetState[], tenantId: string): BudgetState[] {
  return [...states.filter((state) => state.tenantId === tenantId), ...states.filter((state) => state.tenantId === null)];
}

function tokenOf(result: ReserveCallsResult): string {
  expect(result.granted).toBe(true);
  return (result as { token: string }).token;
}

if (!url) {
  describe.skip("PostgresStore rate budget answers (skipped: set DATABASE_URL to run)", () => {
    it("needs PostgreSQL", () => {});
  });
} else {
  describe("PostgresStore's shared rate budget: exact answers", () => {
    const admin = new pg.Pool({ connectionString: url, max: 2 });
    const schemas: string[] = [];
    const stores: PostgresStore[] = [];
    afterAll(async () => {
      await Promise.all(stores.map((store) => store.close()));
      for (const schema of schemas) await admin.query(`drop schema if exists "${schema}" cascade`);
      await admin.end();
    });

    /** `count` store instances on one fresh schema, each with its own pool, as separate processes would have. */
    async function instances(count: number): Promise<PostgresStore[]> {
      const schema = `wi_budget_answers_${randomBytes(5).toString("hex")}`;
      schemas.push(schema);
      const made = Array.from({ length: count }, () => new PostgresStore({ connectionString: url!, schema, max: 4 }));
      stores.push(...made);
      await made[0]!.migrate();
      return made;
    }

    it("four instances asking at once, three times each, when one slot frees: one grant, every refusal names the exact moment the next slot frees", async () => {
      const [first, ...others] = await instances(4);
      const budget = first!.rateBudget;
      // The minute holds 3, ended at 100, 110 and 120.
      for (const offset of [0, 10, 20]) {
        const token = tokenOf(await budget.reserveCalls({ limits: LIMITS, tenantId: "t1", count: 1, holdMs: HOLD_MS, now: at(offset) }));
        await budget.endCalls({ limits: LIMITS, tenantId: "t1", token, count: 1, now: at(offset + 100) });
      }
      const herd = (now: Date) =>
        Promise.all(
          [first!, ...others].flatMap((store) =>
            Array.from({ length: 3 }, () => store.rateBudget.reserveCalls({ limits: LIMITS, tenantId: "t1", count: 1, holdMs: HOLD_MS, now })),
          ),
        );

      // Just before the first call leaves the minute: all twelve are told when it does.
      const early = await herd(at(100 + MINUTE - 1));
      expect(early.map((answer) => (answer.granted ? "granted" : answer.retryAt.getTime() - T0))).toEqual(Array(12).fill(100 + MINUTE));

      // Then: exactly one of the twelve gets the slot; the other eleven are told when the next call (ended at 110) leaves.
      const freed = await herd(at(100 + MINUTE));
      expect(freed.filter((answer) => answer.granted)).toHaveLength(1);
      expect(freed.filter((answer) => !answer.granted).map((answer) => (answer.granted ? 0 : answer.retryAt.getTime() - T0))).toEqual(
        Array(11).fill(110 + MINUTE),
      );

      // Asked again at that moment, again exactly one.
      const next = await herd(at(110 + MINUTE));
      expect(next.filter((answer) => answer.granted)).toHaveLength(1);
      expect(next.filter((answer) => !answer.granted).map((answer) => (answer.granted ? 0 : answer.retryAt.getTime() - T0))).toEqual(
        Array(11).fill(120 + MINUTE),
      );
    });

    it("a reservation, granted or refused, returns the tenant's and the app's budgets as a read at the same moment shows them", async () => {
      const [store] = await instances(1);
      const budget = store!.rateBudget;
      const ended = tokenOf(await budget.reserveCalls({ limits: LIMITS, tenantId: "t1", count: 1, holdMs: HOLD_MS, now: at(0) }));
      await budget.endCalls({ limits: LIMITS, tenantId: "t1", token: ended, count: 1, now: at(50) });
      await budget.pause({
        provider: LIMITS.provider,
        tenantId: "t2",
        until: at(5_000),
        reason: { status: 429, limit: "minute", message: "slow down", at: at(60) },
      });
      tokenOf(await budget.reserveCalls({ limits: LIMITS, tenantId: "t2", count: 1, holdMs: HOLD_MS, now: at(5_000) }));

      const grant = await budget.reserveCalls({ limits: LIMITS, tenantId: "t1", count: 2, holdMs: HOLD_MS, now: at(100) });
      expect(grant.granted).toBe(true);
      const read = await budget.budgets({ now: at(100), limits: [LIMITS] });
      expect(grant.budgets).toEqual(asReturned(read, "t1"));
      expect(grant.budgets.map((state) => [state.tenantId, state.inFlight, state.windows.map((window) => window.used)])).toEqual([
        ["t1", 2, [3, 3]],
        [null, 3, [4]],
      ]);

      const refusal = await budget.reserveCalls({ limits: LIMITS, tenantId: "t1", count: 1, holdMs: HOLD_MS, now: at(200) });
      expect(refusal.granted).toBe(false);
      expect(refusal.budgets).toEqual(asReturned(await budget.budgets({ now: at(200), limits: [LIMITS] }), "t1"));

      // A pause comes back with the reservation it refuses, reason and all.
      await budget.pause({
        provider: LIMITS.provider,
        tenantId: "t1",
        until: at(100_000),
        reason: { status: 429, limit: "day", message: "come back tomorrow", at: at(300) },
      });
      const paused = await budget.reserveCalls({ limits: LIMITS, tenantId: "t1", count: 1, holdMs: HOLD_MS, now: at(400) });
      expect(paused).toMatchObject({ granted: false, retryAt: at(100_000) });
      expect(paused.budgets[0]).toMatchObject({
        tenantId: "t1",
        pausedUntil: at(100_000),
        pauseReason: { status: 429, limit: "day", message: "come back tomorrow" },
      });
      expect(paused.budgets).toEqual(asReturned(await budget.budgets({ now: at(400), limits: [LIMITS] }), "t1"));
    });
  });
}
