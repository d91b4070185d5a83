// Four inbox instances on one PostgreSQL drain one tenant against the Xero and QuickBooks fakes: one shared provider budget, 0 × 429.
import { randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createWebhookInbox, type InboxEvent, type WebhookProcessor, type WebhookStore } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";
import { quickbooks } from "webhook-inbox/quickbooks";
import {
  ManualClock,
  quickBooksClassicPayload,
  startFakeQuickBooks,
  startFakeXero,
  xeroPayload,
  type FakeQuickBooks,
  type FakeXero,
} from "webhook-inbox/testing";
import { xero } from "webhook-inbox/xero";

const url = process.env.DATABASE_URL;
const INSTANCES = 4;
const VERIFIER = "qbo-verifier-token";
const XERO_KEY = "xero-webhook-key";
const REALM = "4620816365000000001";
const XERO_TENANT = "e629a03c-7ffe-4913-bd94-ff2fdb36a702";
const START = new Date("2030-01-01T00:00:00.000Z");
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** The same store without its shared budget: what every instance had before (each its own limiter). */
function withoutSharedBudget(store: WebhookStore): WebhookStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === "rateBudget") return undefined;
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

if (!url) {
  describe.skip("shared rate budget across instances (skipped: set DATABASE_URL to run)", () => {
    it("needs PostgreSQL", () => {});
  });
} else {
  describe("four instances on one PostgreSQL spend one provider budget", () => {
    const admin = new pg.Pool({ connectionString: url, max: 2 });
    const schemas: string[] = [];
    const open: { close(): Promise<void> }[] = [];
    afterEach(async () => {
      while (open.length > 0) await open.pop()!.close();
    });
    afterAll(async () => {
      for (const schema of schemas) await admin.query(`drop schema if exists "${schema}" cascade`);
      await admin.end();
    });

    interface Cluster {
      inboxes: WebhookProcessor[];
      clock: ManualClock;
      qbo: FakeQuickBooks;
      xeroApi: FakeXero;
      handled: InboxEvent[];
    }

    /**
     * Four instances, each with its own PostgresStore (own pool) over one schema, on one manual clock
     * that the fakes share, so the limits they enforce and the budget the inboxes keep are measured on
     * one time line. QuickBooks gets one id per call, so its 10/s and 40/min batch limits bind.
     */
    async function cluster(options: { shared?: boolean } = {}): Promise<Cluster> {
      const schema = `wi_budget_${randomBytes(5).toString("hex")}`;
      schemas.push(schema);
      const clock = new ManualClock(START);
      const now = () => clock.now().getTime();
      const qbo = await startFakeQuickBooks({ now });
      const xeroApi = await startFakeXero({ now });
      open.push(qbo, xeroApi);
      const handled: InboxEvent[] = [];
      const inboxes: WebhookProcessor[] = [];
      for (let i = 0; i < INSTANCES; i += 1) {
        const store = new PostgresStore({ connectionString: url!, max: 4, schema });
        open.push(store);
        if (i === 0) await store.migrate();
        const inbox = createWebhookInbox({
          store: options.shared === false ? withoutSharedBudget(store) : store,
          clock,
          workerId: `instance-${i}`,
          integrations: {
            qbo: {
              provider: quickbooks({ verifierToken: VERIFIER, getAccessToken: () => "qbo-token", baseUrl: qbo.url, maxItemsPerBatch: 1, idsPerQuery: 1 }),
              mode: "delayed",
              delayMs: 1_000,
            },
            xero: { provider: xero({ webhookKey: XERO_KEY, getAccessToken: () => "xero-token", baseUrl: xeroApi.url }), mode: "delayed", delayMs: 1_000 },
          },
          handler: (event) => {
            handled.push(event);
          },
          logger: silent,
        });
        open.push({ close: () => inbox.stop() });
        inboxes.push(inbox);
      }
      return { inboxes, clock, qbo, xeroApi, handled };
    }

    /** 100 QuickBooks invoices (100 calls) and 3,500 Xero contacts (70 calls) for one realm and one organisation. */
    async function backlog({ inboxes, qbo, xeroApi }: Cluster): Promise<number> {
      const invoices = Array.from({ length: 100 }, (_, index) => String(index + 1));
      const contacts = Array.from({ length: 3_500 }, () => randomUUID());
      qbo.records.seed(REALM, "Invoice", invoices);
      xeroApi.records.seed(XERO_TENANT, "CONTACT", contacts);
      const iso = new Date(START.getTime() - 3_600_000).toISOString();
      for (let index = 0; index < invoices.length; index += 20) {
        const changes = invoices.slice(index, index + 20).map((id) => ({ realmId: REALM, name: "Invoice", id, lastUpdated: iso }));
        const signed = quickBooksClassicPayload(VERIFIER, changes);
        await inboxes[(index / 20) % INSTANCES]!.receive({ integration: "qbo", rawBody: new TextEncoder().encode(signed.body), headers: signed.headers });
      }
      for (let index = 0; index < contacts.length; index += 100) {
        const events = contacts
          .slice(index, index + 100)
          .map((id) => ({ tenantId: XERO_TENANT, category: "CONTACT", resourceId: id, eventDateUtc: "2029-12-31T23:00:00" }));
        const signed = xeroPayload(XERO_KEY, events);
        await inboxes[(index / 100) % INSTANCES]!.receive({ integration: "xero", rawBody: new TextEncoder().encode(signed.body), headers: signed.headers });
      }
      return invoices.length + contacts.length;
    }

    /** Every instance drains at once, then the clock moves a second, until everything is handled. */
    async function drainAll({ inboxes, clock, handled }: Cluster, total: number, steps = 400): Promise<void> {
      clock.advance(1_000);
      for (let step = 0; step < steps && handled.length < total; step += 1) {
        await Promise.all(inboxes.map((inbox) => inbox.drain()));
        clock.advance(1_000);
      }
    }

    it("drains the backlog with 0 × 429 from either fake, every entity handled once, the calls spread as one instance would", {
      timeout: 120_000,
    }, async () => {
      const setup = await cluster();
      const total = await backlog(setup);
      await drainAll(setup, total);
      const { qbo, xeroApi, handled } = setup;
      expect(handled).toHaveLength(total);
      expect(new Set(handled.map((event) => `${event.integration}:${event.entityId}`)).size).toBe(total);
      expect(qbo.calls.throttled).toBe(0);
      expect(xeroApi.calls.throttled).toBe(0);
      expect(qbo.calls.total).toBe(100);
      // 70 at the least; four instances claiming at once may each leave a part-filled call.
      expect(xeroApi.calls.total).toBeGreaterThanOrEqual(70);
      expect(xeroApi.calls.total).toBeLessThanOrEqual(70 + 2 * INSTANCES);
      // 70 Xero calls do not fit in one minute of 60, nor 100 QuickBooks batch calls in two minutes of 40.
      const spread = (times: number[]) => Math.max(...times) - Math.min(...times);
      expect(spread(xeroApi.calls.log.map((call) => call.at))).toBeGreaterThanOrEqual(60_000);
      expect(spread(qbo.calls.log.map((call) => call.at))).toBeGreaterThanOrEqual(120_000);
      // ...and no more than one window later than one process alone would have needed.
      expect(spread(xeroApi.calls.log.map((call) => call.at))).toBeLessThanOrEqual(2 * 60_000);
      expect(spread(qbo.calls.log.map((call) => call.at))).toBeLessThanOrEqual(3 * 60_000);

      // Any instance shows the shared budget, whichever instance spent it.
      const limits = await setup.inboxes[3]!.readRateLimits();
      const realm = limits.find((budget) => budget.provider === "quickbooks" && budget.tenantId === REALM);
      expect(realm?.shared).toBeDefined();
      expect(realm?.windows.find((window) => window.name === "batch-minute")?.used).toBeGreaterThan(0);
    });

    it("control: the same four instances, each with its own limiter, do provoke 429s (the test above can fail)", { timeout: 120_000 }, async () => {
      const setup = await cluster({ shared: false });
      const total = await backlog(setup);
      await drainAll(setup, total, 3);
      expect(setup.qbo.calls.throttled + setup.xeroApi.calls.throttled).toBeGreaterThan(0);
    });

    it("one instance's 429 parks the tenant for all: no instance calls it again before the Retry-After ends", { timeout: 60_000 }, async () => {
      const setup = await cluster();
      const { inboxes, clock, xeroApi, handled } = setup;
      const contacts = Array.from({ length: 400 }, () => randomUUID());
      xeroApi.records.seed(XERO_TENANT, "CONTACT", contacts);
      for (let index = 0; index < contacts.length; index += 50) {
        const events = contacts
          .slice(index, index + 50)
          .map((id) => ({ tenantId: XERO_TENANT, category: "CONTACT", resourceId: id, eventDateUtc: "2029-12-31T23:00:00" }));
        const signed = xeroPayload(XERO_KEY, events);
        await inboxes[0]!.receive({ integration: "xero", rawBody: new TextEncoder().encode(signed.body), headers: signed.headers });
      }
      xeroApi.throttleNext({ problem: "minute", retryAfterSeconds: 30 });
      clock.advance(1_000);
      const throttledAt = clock.now().getTime();
      // The calls already in flight beside the throttled one finish; then the instance it answered has
      // paused the tenant in the store, and no instance calls it until the Retry-After ends.
      await Promise.all(inboxes.map((inbox) => inbox.drain()));
      expect(xeroApi.calls.throttled).toBe(1);
      const callsBeforePause = xeroApi.calls.total;
      for (let second = 1; second < 30; second += 1) {
        clock.advance(1_000);
        await Promise.all(inboxes.map((inbox) => inbox.drain()));
      }
      expect(xeroApi.calls.total).toBe(callsBeforePause);
      const paused = (await inboxes[2]!.readRateLimits()).find((budget) => budget.tenantId === XERO_TENANT);
      expect(paused?.pausedUntil).toEqual(new Date(throttledAt + 30_000));
      expect(paused?.pauseReason).toMatchObject({ status: 429, limit: "minute" });

      clock.advance(1_000);
      for (let step = 0; step < 30 && handled.length < contacts.length; step += 1) {
        await Promise.all(inboxes.map((inbox) => inbox.drain()));
        clock.advance(1_000);
      }
      expect(handled).toHaveLength(contacts.length);
      expect(xeroApi.calls.throttled).toBe(1);
      const later = xeroApi.calls.log.slice(callsBeforePause);
      expect(later.length).toBeGreaterThan(0);
      expect(Math.min(...later.map((call) => call.at))).toBeGreaterThanOrEqual(throttledAt + 30_000);
    });
  });
}
