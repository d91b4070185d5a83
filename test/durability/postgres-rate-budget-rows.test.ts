// PostgresStore's shared rate budget stays bounded: a window keeps at most its limit of rows (a long one one per minute), and idle budgets are removed.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { BudgetLimits } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";

const url = process.env.DATABASE_URL;
const MINUTE = 60_000;
/** Longer than 10 minutes, so counted per minute like a day (and quick to run through). */
const LONG = 30 * 60_000;
const T0 = Date.parse("2030-01-01T00:00:00.000Z");

if (!url) {
  describe.skip("PostgresStore rate budget rows (skipped: set DATABASE_URL to run)", () => {
    it("needs PostgreSQL", () => {});
  });
} else {
  describe("PostgresStore's shared rate budget: bounded rows", () => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const schema = `wi_budget_rows_${randomBytes(5).toString("hex")}`;
    afterAll(async () => {
      await pool.query(`drop schema if exists "${schema}" cascade`);
      await pool.end();
    });

    it("an hour of calls every 10 s keeps at most `limit` minute rows and one row per minute in a 30-minute window; an idle tenant's rows and budget are removed", {
      timeout: 60_000,
    }, async () => {
      const store = new PostgresStore({ pool, schema });
      await store.migrate();
      const limits: BudgetLimits = {
        provider: "p",
        concurrency: 5,
        tenantWindows: [
          { name: "minute", limit: 5, intervalMs: MINUTE },
          { name: "long", limit: 100_000, intervalMs: LONG },
        ],
        appWindows: [],
      };
      const call = async (tenantId: string, at: number) => {
        const answer = await store.rateBudget.reserveCalls({ limits, tenantId, count: 1, holdMs: 5_000, now: new Date(at) });
        if (answer.granted) await store.rateBudget.endCalls({ limits, tenantId, token: answer.token, count: 1, now: new Date(at + 100) });
        return answer.granted;
      };
      const rows = async (tenantId: string) => {
        const { rows: counts } = await pool.query(
          `select window_name, count(*)::int as n from "${schema}".rate_calls where tenant_id = $1 group by window_name`,
          [tenantId],
        );
        return Object.fromEntries(counts.map((row) => [row.window_name as string, row.n as number]));
      };
      expect(await call("idle", T0)).toBe(true);
      let granted = 0;
      let most = { minute: 0, long: 0 };
      // One call every 10 s for an hour, sampled every 100 calls (a reservation prunes the budget's own rows).
      for (let i = 0, at = T0; at < T0 + 2 * LONG; i += 1, at += 10_000) {
        if (await call("busy", at)) granted += 1;
        if (i % 10 === 0) {
          const now = await rows("busy");
          most = { minute: Math.max(most.minute, now.minute ?? 0), long: Math.max(most.long, now.long ?? 0) };
        }
      }
      // Six calls a minute asked for, five allowed: about 5/6 granted.
      expect(granted).toBeLessThan((2 * LONG) / 10_000);
      expect(granted).toBeGreaterThan((2 * LONG) / 10_000 / 2);
      expect(most.minute).toBeLessThanOrEqual(5);
      expect(most.long).toBeLessThanOrEqual(LONG / MINUTE + 1);
      // The idle tenant's calls expired 30 minutes after T0; the sweep took them and its budget row.
      expect(await rows("idle")).toEqual({});
      const { rows: budgets } = await pool.query(`select tenant_id from "${schema}".rate_budgets order by tenant_id`);
      expect(budgets.map((row) => row.tenant_id)).toEqual(["busy"]);
      await store.close();
    });
  });
}
