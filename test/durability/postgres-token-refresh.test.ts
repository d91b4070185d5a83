// singleFlightTokens with 4 instances on one PostgreSQL: one refresh per expiry per tenant, never two at once; invalid_grant parks the tenant for all.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { ReauthorizationRequiredError, singleFlightTokens } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";
import { ManualClock } from "webhook-inbox/testing";
import { FakeTokenEndpoint } from "../helpers/token-endpoint.ts";

const url = process.env.DATABASE_URL;
const HOUR = 3_600_000;
const TENANTS = ["realm-1", "realm-2", "realm-3"];

if (!url) {
  describe.skip("singleFlightTokens on PostgreSQL (skipped: set DATABASE_URL to run)", () => {
    it("needs PostgreSQL", () => {});
  });
} else {
  describe("singleFlightTokens: 4 instances on one PostgreSQL", () => {
    const schema = `wi_tokens_${randomBytes(5).toString("hex")}`;
    const pools = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: url, max: 4 }));
    const stores = pools.map((pool) => new PostgresStore({ pool, schema }));
    afterAll(async () => {
      await Promise.all(stores.map((store) => store.close()));
      await pools[0]!.query(`drop schema if exists "${schema}" cascade`);
      await Promise.all(pools.map((pool) => pool.end()));
    });

    it("refreshes each tenant's token once per expiry, with every instance asking at once, and parks a revoked tenant for all", async () => {
      for (const store of stores) await store.migrate();
      const clock = new ManualClock(new Date());
      // A provider that rotates refresh tokens and refuses a used one: two refreshes at once would show as invalid_grant.
      const endpoint = new FakeTokenEndpoint(40);
      let inFlight = 0;
      let mostInFlight = 0;
      const perTenant = new Map<string, number>();
      let mostPerTenant = 0;
      const refresh = async (input: { tenantId: string; refreshToken: string }) => {
        inFlight += 1;
        perTenant.set(input.tenantId, (perTenant.get(input.tenantId) ?? 0) + 1);
        mostInFlight = Math.max(mostInFlight, inFlight);
        mostPerTenant = Math.max(mostPerTenant, perTenant.get(input.tenantId)!);
        try {
          return await endpoint.refresh(input);
        } finally {
          inFlight -= 1;
          perTenant.set(input.tenantId, perTenant.get(input.tenantId)! - 1);
        }
      };
      const instances = stores.map((store, i) =>
        singleFlightTokens({ store, provider: "quickbooks", refresh, clock, holder: `instance-${i}`, waitPollMs: 10 }),
      );
      for (const tenantId of TENANTS) await instances[0]!.save(tenantId, { refreshToken: endpoint.connect(tenantId) });

      const expiries = 3;
      for (let round = 0; round < expiries; round += 1) {
        // Every instance asks for every tenant's token 5 times at once.
        const asked = instances.flatMap((tokens) =>
          TENANTS.flatMap((tenantId) => Array.from({ length: 5 }, () => tokens.getAccessToken(tenantId).then((token) => ({ tenantId, token })))),
        );
        const answers = await Promise.all(asked);
        for (const tenantId of TENANTS) expect(new Set(answers.filter((a) => a.tenantId === tenantId).map((a) => a.token)).size).toBe(1);
        clock.advance(HOUR); // every token expires before the next round
      }
      for (const tenantId of TENANTS) {
        const calls = endpoint.calls.filter((call) => call.tenantId === tenantId);
        expect(calls.map((call) => call.accepted)).toEqual(Array(expiries).fill(true));
      }
      expect(instances.reduce((sum, tokens) => sum + tokens.refreshes, 0)).toBe(expiries * TENANTS.length);
      expect(mostPerTenant).toBe(1); // never two refreshes of one tenant at once
      console.info(
        `[token refresh] ${endpoint.calls.length} refreshes for ${expiries} expiries x ${TENANTS.length} tenants; ${4 * 5 * TENANTS.length * expiries} getAccessToken calls; at most ${mostInFlight} refreshes in flight at once (different tenants)`,
      );

      // The grant is revoked: one refresh learns it; every instance then refuses without calling.
      endpoint.revoke("realm-2");
      const before = endpoint.calls.length;
      const results = await Promise.allSettled(instances.flatMap((tokens) => [tokens.getAccessToken("realm-2"), tokens.getAccessToken("realm-2")]));
      expect(results.every((result) => result.status === "rejected" && result.reason instanceof ReauthorizationRequiredError)).toBe(true);
      expect(endpoint.calls.length - before).toBe(1);
      for (const tokens of instances) expect((await tokens.needingReauthorization()).map((status) => status.tenantId)).toEqual(["realm-2"]);
      expect(await instances[3]!.getAccessToken("realm-1")).toMatch(/^at-realm-1-/);
    });
  });
}
