// The shared rate budget unreachable: no provider call is made uncounted; the events wait, no attempt is spent, and they go once it is back.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createWebhookInbox, type EndCallsInput, type WebhookProcessor, type WebhookStore } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";
import { ManualClock, TestApi, testProvider, testWebhook } from "webhook-inbox/testing";
import { silentLogger, startTcpProxy } from "./support.ts";

const url = process.env.DATABASE_URL;

/** A provider API holding both records the tests send, so each entity costs one call. */
const twoRecords = () => new TestApi().set("t1", "invoice", "a", { n: 1 }).set("t1", "invoice", "b", { n: 2 });

/** Sends a change to entity `entityId` of t1 and expects it acknowledged. */
function sender(inbox: WebhookProcessor, clock: ManualClock): (entityId: string) => Promise<void> {
  return async (entityId) => {
    const { body, headers } = testWebhook(SECRET, [{ tenantId: "t1", entityType: "invoice", entityId, occurredAt: clock.now().toISOString() }], entityId);
    expect((await inbox.receive({ integration: "acme", rawBody: Buffer.from(body), headers })).status).toBe(202);
  };
}

/** `target` with some properties replaced; every other one read from it (methods bound to it). */
function overriding<T extends object>(target: T, overrides: Record<string, unknown>): T {
  return new Proxy(target, {
    get(of, property) {
      if (typeof property === "string" && property in overrides) return overrides[property];
      const value = Reflect.get(of, property, of);
      return typeof value === "function" ? value.bind(of) : value;
    },
  });
}
const SECRET = "shared-budget-faults";

if (!url) {
  describe.skip("shared budget faults (skipped: set DATABASE_URL to run)", () => {
    it("needs PostgreSQL", () => {});
  });
} else {
  describe("the shared rate budget goes away", () => {
    const target = new URL(url);
    const admin = new pg.Pool({ connectionString: url, max: 4 });
    const schemas: string[] = [];
    afterAll(async () => {
      for (const schema of schemas) await admin.query(`drop schema if exists "${schema}" cascade`);
      await admin.end();
    });

    it("a call whose reservation cannot be made is not made: the events wait a second without spending an attempt, the error is reported, and they are processed once the budget is back", async () => {
      const schema = `wi_budget_faults_${randomBytes(5).toString("hex")}`;
      schemas.push(schema);
      const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
      const budgetPool = new pg.Pool({
        host: "127.0.0.1",
        port: proxy.port,
        user: decodeURIComponent(target.username) || "postgres",
        password: decodeURIComponent(target.password) || undefined,
        database: target.pathname.slice(1),
        connectionTimeoutMillis: 1_000,
        max: 2,
      });
      budgetPool.on("error", () => {}); // the proxy cuts idle connections: expected here
      const store = new PostgresStore({ pool: admin, schema });
      const budgetSide = new PostgresStore({ pool: budgetPool, schema });
      await store.migrate();
      // Everything through the direct pool, only the budget through the proxy that will be cut.
      const composite = overriding(store, { rateBudget: budgetSide.rateBudget }) as WebhookStore;
      const clock = new ManualClock();
      const api = twoRecords();
      const errors: string[] = [];
      const inbox = createWebhookInbox({
        store: composite,
        clock,
        logger: silentLogger,
        integrations: { acme: { provider: testProvider({ secret: SECRET, api }), mode: "delayed", delayMs: 0 } },
        handler: () => {},
      });
      inbox.on("error", ({ error }) => errors.push(error.message));
      const send = sender(inbox, clock);
      try {
        await send("a");
        await inbox.drain();
        expect(api.calls).toHaveLength(1);

        proxy.cut();
        await send("b");
        await inbox.drain();
        expect(api.calls).toHaveLength(1);
        const [waiting] = (await inbox.listEvents({ status: "queued" })).items;
        expect(waiting).toMatchObject({ entityId: "b", attemptsMade: 0 });
        expect(waiting!.nextAttemptAt.getTime()).toBe(clock.now().getTime() + 1_000);
        expect(errors.some((message) => message === "[postgres] rateBudget.reserveCalls failed")).toBe(true);

        proxy.restore();
        clock.advance(1_000);
        await inbox.drain();
        expect(api.calls).toHaveLength(2);
        expect((await inbox.countEvents({})).find((row) => row.status === "succeeded")?.count).toBe(2);
      } finally {
        await inbox.stop();
        await Promise.all([store.close(), budgetSide.close()]);
        await budgetPool.end();
        await proxy.close();
      }
    });

    it("a call whose end cannot be recorded frees its slot once the budget is back, not only when its hold runs out", async () => {
      const schema = `wi_budget_faults_${randomBytes(5).toString("hex")}`;
      schemas.push(schema);
      const store = new PostgresStore({ pool: admin, schema });
      await store.migrate();
      // The store misses one end (as when the connection dies under it); everything else goes through.
      let endsToLose = 0;
      const budget = overriding(store.rateBudget, {
        endCalls: async (input: EndCallsInput) => {
          if (endsToLose > 0) {
            endsToLose -= 1;
            throw new Error("Connection terminated unexpectedly");
          }
          return store.rateBudget.endCalls(input);
        },
      });
      const composite = overriding(store, { rateBudget: budget }) as WebhookStore;
      const clock = new ManualClock();
      const api = twoRecords();
      const errors: string[] = [];
      const inbox = createWebhookInbox({
        store: composite,
        clock,
        logger: { ...silentLogger, error: (message: string) => errors.push(message) },
        // One call at a time, and a minute's hold: a call whose end is lost would hold the tenant for that minute.
        fetchTimeoutMs: 60_000,
        integrations: {
          acme: {
            provider: testProvider({
              secret: SECRET,
              api,
              limits: { tenant: { concurrency: 1, windows: [{ name: "minute", limit: 100, intervalMs: 60_000 }] }, defaultRetryAfterMs: 60_000 },
            }),
            mode: "delayed",
            delayMs: 0,
          },
        },
        handler: () => {},
      });
      const send = sender(inbox, clock);
      try {
        endsToLose = 1;
        await send("a");
        await inbox.drain();
        expect(api.calls).toHaveLength(1);
        expect(errors.some((text) => text.includes("could not record the end"))).toBe(true);

        // The budget is back; the next call records the lost end first, so the tenant's one slot is free.
        clock.advance(10);
        await send("b");
        await inbox.drain();
        expect(api.calls).toHaveLength(2);
        expect((await inbox.countEvents({})).find((row) => row.status === "succeeded")?.count).toBe(2);
        const [tenant] = (await inbox.readRateLimits()).filter((snapshot) => snapshot.tenantId === "t1");
        expect(tenant?.shared?.inFlight).toBe(0);
      } finally {
        await inbox.stop();
        await store.close();
      }
    });
  });
}
