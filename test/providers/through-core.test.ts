import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createWebhookInbox, MemoryStore, type InboxEvent, type WebhookProcessor } from "webhook-inbox";
import { QUICKBOOKS_BATCH_MAX_RESPONSE_OBJECTS, quickbooks } from "webhook-inbox/quickbooks";
import {
  ManualClock,
  quickBooksClassicPayload,
  quickBooksCloudEventsPayload,
  startFakeQuickBooks,
  startFakeXero,
  xeroIntentToReceive,
  xeroPayload,
  type FakeQuickBooks,
  type FakeXero,
} from "webhook-inbox/testing";
import { xero } from "webhook-inbox/xero";

const VERIFIER = "qbo-verifier-token";
const XERO_KEY = "xero-webhook-key";
const REALM = "4620816365000000001";
const XERO_TENANT = "e629a03c-7ffe-4913-bd94-ff2fdb36a702";
const START = new Date("2030-01-01T00:00:00.000Z");

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

interface Setup {
  inbox: WebhookProcessor;
  clock: ManualClock;
  qbo: FakeQuickBooks;
  xeroApi: FakeXero;
  handled: InboxEvent[];
}

/**
 * An inbox in `delayed` mode over both fakes. The fakes run on the inbox's manual clock, so the
 * limits they enforce and the ones the inbox keeps are measured on the same time line.
 */
async function setup(
  options: { qbo?: Parameters<typeof quickbooks>[0] extends infer T ? Partial<T> : never; xero?: Partial<Parameters<typeof xero>[0]> } = {},
): Promise<Setup> {
  const clock = new ManualClock(START);
  const now = () => clock.now().getTime();
  const qbo = await startFakeQuickBooks({ now });
  const xeroApi = await startFakeXero({ now });
  open.push(qbo, xeroApi);
  const handled: InboxEvent[] = [];
  const inbox = createWebhookInbox({
    store: new MemoryStore(),
    clock,
    integrations: {
      qbo: {
        provider: quickbooks({ verifierToken: VERIFIER, getAccessToken: () => "qbo-token", baseUrl: qbo.url, ...options.qbo }),
        mode: "delayed",
        delayMs: 1_000,
      },
      xero: {
        provider: xero({ webhookKey: XERO_KEY, getAccessToken: () => "xero-token", baseUrl: xeroApi.url, ...options.xero }),
        mode: "delayed",
        delayMs: 1_000,
      },
    },
    handler: (event) => {
      handled.push(event);
    },
    // One claim pass holds a whole burst, so each entity is fetched once.
    claimBatchSize: 10_000,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  open.push({ close: () => inbox.stop() });
  return { inbox, clock, qbo, xeroApi, handled };
}

async function receive(inbox: WebhookProcessor, integration: string, signed: { body: string; headers: Record<string, string> }) {
  return inbox.receive({ integration, rawBody: new TextEncoder().encode(signed.body), headers: signed.headers });
}

const iso = (ms: number) => new Date(START.getTime() - 3_600_000 + ms).toISOString();

describe("through the core, delayed mode, against the fakes", () => {
  it("a burst of 500 webhooks over 120 invoices and 120 contacts costs exactly the minimum calls: 1 QuickBooks batch + 3 Xero IDs reads", async () => {
    const { inbox, clock, qbo, xeroApi, handled } = await setup();
    const invoices = Array.from({ length: 120 }, (_, index) => String(1000 + index));
    const contacts = Array.from({ length: 120 }, () => randomUUID());
    qbo.records.seed(REALM, "Invoice", invoices, (id) => ({ DocNumber: `INV-${id}` }));
    xeroApi.records.seed(XERO_TENANT, "CONTACT", contacts, (id) => ({ Name: `Contact ${id.slice(0, 8)}` }));

    const statuses: number[] = [];
    for (let index = 0; index < 250; index += 1) {
      const invoice = invoices[index % 120]!;
      const change = { realmId: REALM, name: "Invoice", id: invoice, operation: "Update", lastUpdated: iso(index * 1000) };
      // Both QuickBooks formats in one burst: they must batch together.
      const signed = index % 2 === 0 ? quickBooksClassicPayload(VERIFIER, [change]) : quickBooksCloudEventsPayload(VERIFIER, [change]);
      statuses.push((await receive(inbox, "qbo", signed)).status);
      const contact = contacts[index % 120]!;
      const event = { tenantId: XERO_TENANT, category: "CONTACT", resourceId: contact, eventDateUtc: iso(index * 1000).replace("Z", "") };
      statuses.push((await receive(inbox, "xero", xeroPayload(XERO_KEY, [event]))).status);
    }
    expect(statuses).toHaveLength(500);
    expect(new Set(statuses)).toEqual(new Set([200])); // QuickBooks and Xero both require 200
    expect(qbo.calls.total + xeroApi.calls.total).toBe(0); // delayed: nothing fetched in the request

    clock.advance(1_000);
    await inbox.drain();

    // ceil(120 / 1000) = 1 QuickBooks batch call; ceil(120 / 50) = 3 Xero calls.
    expect(qbo.calls.total).toBe(1);
    expect(qbo.calls.count({ endpoint: "batch", tenantId: REALM, status: 200 })).toBe(1);
    expect(qbo.batchItems()).toBe(2); // 120 ids = 100 + 20 per query item
    expect(xeroApi.calls.total).toBe(3);
    expect(xeroApi.calls.count({ endpoint: "Contacts", tenantId: XERO_TENANT, status: 200 })).toBe(3);
    expect(xeroApi.calls.log.map((call) => call.ids.length).sort()).toEqual([20, 50, 50]);

    // Every entity handled once with its downloaded data; the older events are stale.
    expect(handled).toHaveLength(240);
    expect(new Set(handled.map((event) => `${event.integration}:${event.entityId}`)).size).toBe(240);
    const invoice = handled.find((event) => event.integration === "qbo" && event.entityId === "1000")!;
    expect(invoice).toMatchObject({ tenantId: REALM, entityType: "Invoice", resource: { Id: "1000", DocNumber: "INV-1000" } });
    const contact = handled.find((event) => event.integration === "xero" && event.entityId === contacts[0])!;
    expect(contact).toMatchObject({ tenantId: XERO_TENANT, entityType: "CONTACT", resource: { ContactID: contacts[0] } });
    const counts = await inbox.countEvents({});
    const byStatus = Object.fromEntries(
      ["succeeded", "stale", "failed", "retrying", "queued"].map((status) => [
        status,
        counts.filter((row) => row.status === status).reduce((sum, row) => sum + row.count, 0),
      ]),
    );
    expect(byStatus).toEqual({ succeeded: 240, stale: 260, failed: 0, retrying: 0, queued: 0 });
  });

  it("a backlog of 3,000 distinct QuickBooks invoices: every one found, no call above the 1,000-object response cap, 3 calls", async () => {
    const { inbox, clock, qbo, handled } = await setup();
    const invoices = Array.from({ length: 3_000 }, (_, index) => String(5_000 + index));
    qbo.records.seed(REALM, "Invoice", invoices, (id) => ({ DocNumber: `INV-${id}` }));
    for (let index = 0; index < invoices.length; index += 100) {
      const changes = invoices.slice(index, index + 100).map((id) => ({ realmId: REALM, name: "Invoice", id, lastUpdated: iso(0) }));
      await receive(inbox, "qbo", quickBooksCloudEventsPayload(VERIFIER, changes));
    }
    clock.advance(1_000);
    await inbox.drain();

    expect(handled).toHaveLength(3_000);
    expect(handled.filter((event) => event.resource === null)).toEqual([]);
    expect(new Set(handled.map((event) => (event.resource as { Id: string }).Id))).toEqual(new Set(invoices));
    // The minimum the cap allows: ceil(3,000 / 1,000) = 3 batch calls, none asking for more than 1,000 records.
    expect(qbo.calls.count({ endpoint: "batch", status: 200 })).toBe(3);
    expect(qbo.calls.total).toBe(3);
    expect(Math.max(...qbo.calls.log.map((call) => call.ids.length))).toBeLessThanOrEqual(QUICKBOOKS_BATCH_MAX_RESPONSE_OBJECTS);
    expect(qbo.batchItems()).toBe(30); // 10 query items of 100 ids per call
  });

  it("an inactive customer's update reaches the handler with its data, not as deleted", async () => {
    const { inbox, clock, handled } = await (async () => {
      const ready = await setup();
      ready.qbo.records.set(REALM, "Customer", "58", { DisplayName: "Made inactive", Active: false });
      return ready;
    })();
    await receive(inbox, "qbo", quickBooksCloudEventsPayload(VERIFIER, [{ realmId: REALM, name: "Customer", id: "58", lastUpdated: iso(0) }]));
    clock.advance(1_000);
    await inbox.drain();
    expect(handled).toHaveLength(1);
    expect(handled[0]).toMatchObject({ entityType: "Customer", entityId: "58", resource: { Id: "58", DisplayName: "Made inactive", Active: false } });
  });

  it("a redelivered webhook is a duplicate and costs nothing", async () => {
    const { inbox, clock, qbo } = await setup();
    qbo.records.seed(REALM, "Invoice", ["1"]);
    const signed = quickBooksCloudEventsPayload(VERIFIER, [{ realmId: REALM, name: "Invoice", id: "1", lastUpdated: iso(0) }]);
    await receive(inbox, "qbo", signed);
    await receive(inbox, "qbo", signed);
    clock.advance(1_000);
    await inbox.drain();
    expect(qbo.calls.total).toBe(1);
    const events = await inbox.listEvents({ integration: "qbo" });
    expect(events.items).toHaveLength(1);
  });

  it("QuickBooks 3001 XML throttle: waited out (60 s) with no automatic attempt spent", async () => {
    const { inbox, clock, qbo, handled } = await setup();
    qbo.records.seed(REALM, "Invoice", ["1"]);
    await receive(inbox, "qbo", quickBooksClassicPayload(VERIFIER, [{ realmId: REALM, name: "Invoice", id: "1", lastUpdated: iso(0) }]));
    qbo.throttleNext({ status: 403 }); // the older 403 + 3001 form
    clock.advance(1_000);
    await inbox.drain();
    const [summary] = (await inbox.listEvents({ integration: "qbo" })).items;
    let event = (await inbox.getEvent(summary!.id))!;
    expect(event.attemptsMade).toBe(0);
    expect(event.attempts.map((attempt) => attempt.outcome)).toEqual(["rate_limited"]);
    expect(event.nextAttemptAt.getTime() - clock.now().getTime()).toBe(60_000);
    expect(event.status).not.toBe("failed");

    clock.advance(59_000);
    await inbox.drain();
    expect(qbo.calls.total).toBe(1); // still paused: no call

    clock.advance(1_000);
    await inbox.drain();
    event = (await inbox.getEvent(summary!.id))!;
    expect(event.status).toBe("succeeded");
    expect(event.attemptsMade).toBe(1);
    expect(event.attempts.map((attempt) => attempt.outcome)).toEqual(["rate_limited", "succeeded"]);
    expect(qbo.calls.total).toBe(2);
    expect(qbo.calls.throttled).toBe(1);
    expect(handled).toHaveLength(1);
  });

  it("Xero minute and day 429s: each waited out for its Retry-After; a day pause parks only that tenant", async () => {
    const { inbox, clock, xeroApi, handled } = await setup();
    const other = randomUUID();
    const [a, b] = [randomUUID(), randomUUID()];
    xeroApi.records.set(XERO_TENANT, "CONTACT", a);
    xeroApi.records.set(other, "CONTACT", b);

    // Minute limit.
    await receive(inbox, "xero", xeroPayload(XERO_KEY, [{ tenantId: XERO_TENANT, category: "CONTACT", resourceId: a, eventDateUtc: "2029-12-31T23:00:00" }]));
    xeroApi.throttleNext({ problem: "minute", retryAfterSeconds: 27 });
    clock.advance(1_000);
    await inbox.drain();
    const first = (await inbox.listEvents({ integration: "xero" })).items[0]!;
    let event = (await inbox.getEvent(first.id))!;
    expect(event).toMatchObject({ attemptsMade: 0 });
    expect(event.attempts.map((attempt) => attempt.outcome)).toEqual(["rate_limited"]);
    expect(event.nextAttemptAt.getTime() - clock.now().getTime()).toBe(27_000);
    clock.advance(27_000);
    await inbox.drain();
    event = (await inbox.getEvent(first.id))!;
    expect(event).toMatchObject({ status: "succeeded", attemptsMade: 1 });

    // Day limit on one tenant: 66,975 s (as Codat logged). The other tenant keeps going.
    await receive(inbox, "xero", xeroPayload(XERO_KEY, [{ tenantId: XERO_TENANT, category: "CONTACT", resourceId: a, eventDateUtc: "2029-12-31T23:30:00" }]));
    clock.advance(1_000);
    xeroApi.throttleNext({ problem: "day", retryAfterSeconds: 66_975 });
    await inbox.drain();
    const parked = (await inbox.listEvents({ integration: "xero", status: ["queued", "retrying"] })).items[0]!;
    event = (await inbox.getEvent(parked.id))!;
    expect(event.attemptsMade).toBe(0);
    expect(event.attempts.at(-1)?.outcome).toBe("rate_limited");
    expect(event.nextAttemptAt.getTime() - clock.now().getTime()).toBe(66_975_000);
    const dayBudget = inbox.rateLimits().find((budget) => budget.provider === "xero" && budget.tenantId === XERO_TENANT);
    expect(dayBudget?.pauseReason).toMatchObject({ status: 429, limit: "day" });
    expect(dayBudget?.pausedUntil?.getTime()).toBe(clock.now().getTime() + 66_975_000);

    await receive(inbox, "xero", xeroPayload(XERO_KEY, [{ tenantId: other, category: "CONTACT", resourceId: b, eventDateUtc: "2029-12-31T23:40:00" }]));
    clock.advance(1_000);
    await inbox.drain();
    expect(handled.map((item) => item.tenantId)).toEqual([XERO_TENANT, other]);
    const callsBefore = xeroApi.calls.total;

    clock.advance(3_600_000); // an hour later: still parked, no call for that tenant
    await inbox.drain();
    expect(xeroApi.calls.total).toBe(callsBefore);

    clock.advance(66_975_000);
    await inbox.drain();
    event = (await inbox.getEvent(parked.id))!;
    expect(event).toMatchObject({ status: "succeeded", attemptsMade: 1 });
    expect(xeroApi.calls.throttled).toBe(2);
  });

  it("with the published limits, a backlog of thousands of events drains with no 429 from either fake", async () => {
    // One id per QuickBooks call so its 10/s and 40/min batch limits bind; Xero's 60/min binds at 50 ids a call.
    const { inbox, clock, qbo, xeroApi, handled } = await setup({ qbo: { maxItemsPerBatch: 1, idsPerQuery: 1 } });
    const invoices = Array.from({ length: 100 }, (_, index) => String(index + 1));
    const contacts = Array.from({ length: 3_500 }, () => randomUUID());
    qbo.records.seed(REALM, "Invoice", invoices);
    xeroApi.records.seed(XERO_TENANT, "CONTACT", contacts);
    for (let index = 0; index < invoices.length; index += 20) {
      const changes = invoices.slice(index, index + 20).map((id) => ({ realmId: REALM, name: "Invoice", id, lastUpdated: iso(0) }));
      await receive(inbox, "qbo", quickBooksClassicPayload(VERIFIER, changes));
    }
    for (let index = 0; index < contacts.length; index += 100) {
      const events = contacts
        .slice(index, index + 100)
        .map((id) => ({ tenantId: XERO_TENANT, category: "CONTACT", resourceId: id, eventDateUtc: "2029-12-31T23:00:00" }));
      await receive(inbox, "xero", xeroPayload(XERO_KEY, events));
    }
    clock.advance(1_000);
    for (let step = 0; step < 400 && handled.length < 3_600; step += 1) {
      await inbox.drain();
      clock.advance(1_000);
    }
    expect(handled).toHaveLength(3_600);
    expect(qbo.calls.throttled).toBe(0);
    expect(xeroApi.calls.throttled).toBe(0);
    expect(qbo.calls.total).toBe(100);
    expect(xeroApi.calls.total).toBe(70);
    // 70 Xero calls cannot fit in one minute of 60, nor 100 QuickBooks batch calls in two minutes of 40: the inbox spread them.
    const spread = (times: number[]) => Math.max(...times) - Math.min(...times);
    expect(spread(xeroApi.calls.log.map((call) => call.at))).toBeGreaterThanOrEqual(60_000);
    expect(spread(qbo.calls.log.map((call) => call.at))).toBeGreaterThanOrEqual(120_000);
  });

  it("control: with the limits switched off in the adapter, the same fake does answer 429 (the test above can fail)", async () => {
    const { inbox, clock, qbo } = await setup({
      qbo: { maxItemsPerBatch: 1, idsPerQuery: 1, limits: { tenant: { concurrency: 10, windows: [] } } },
    });
    const invoices = Array.from({ length: 60 }, (_, index) => String(index + 1));
    qbo.records.seed(REALM, "Invoice", invoices);
    await receive(
      inbox,
      "qbo",
      quickBooksClassicPayload(
        VERIFIER,
        invoices.map((id) => ({ realmId: REALM, name: "Invoice", id, lastUpdated: iso(0) })),
      ),
    );
    clock.advance(1_000);
    await inbox.drain();
    expect(qbo.calls.throttled).toBeGreaterThan(0);
  });

  it("Xero intent to receive: 200 with an empty body for a good signature, 401 with an empty body for a bad one", async () => {
    const { inbox, xeroApi } = await setup();
    const good = await receive(inbox, "xero", xeroIntentToReceive(XERO_KEY, { valid: true }));
    const bad = await receive(inbox, "xero", xeroIntentToReceive(XERO_KEY, { valid: false }));
    expect(good.status).toBe(200);
    expect(good.body).toBe("");
    expect(Object.keys(good.headers).map((name) => name.toLowerCase())).not.toContain("set-cookie");
    expect(bad.status).toBe(401);
    expect(bad.body).toBe("");
    expect(xeroApi.calls.total).toBe(0);
  });
});

describe("QuickBooks monthly CorePlus quota", () => {
  it("a 429 that is the monthly quota parks every realm's events until the reset (not 60 s waits), then they succeed", async () => {
    const TEN_DAYS = 10 * 86_400_000;
    const { inbox, clock, qbo, handled } = await setup({ qbo: { monthlyQuotaResetAt: (now: Date) => new Date(now.getTime() + TEN_DAYS) } });
    const OTHER = "4620816365000000002";
    qbo.records.set(REALM, "Invoice", "1");
    qbo.records.set(OTHER, "Invoice", "2");
    await receive(inbox, "qbo", quickBooksClassicPayload(VERIFIER, [{ realmId: REALM, name: "Invoice", id: "1", lastUpdated: iso(0) }]));
    qbo.exhaustMonthlyQuota();
    clock.advance(1_000);
    await inbox.drain();

    const [first] = (await inbox.listEvents({ integration: "qbo" })).items;
    let event = (await inbox.getEvent(first!.id))!;
    expect(event.status).toBe("queued");
    expect(event.attemptsMade).toBe(0);
    expect(event.attempts.map((attempt) => [attempt.outcome, attempt.error])).toEqual([
      ["rate_limited", `rate limited by the provider (month limit); retrying after ${TEN_DAYS} ms`],
    ]);
    expect(event.nextAttemptAt.getTime() - clock.now().getTime()).toBe(TEN_DAYS);
    // Visible in the limiter's state: the app's QuickBooks budget is paused until the reset, naming the month.
    const appBudget = inbox.rateLimits().find((budget) => budget.provider === "quickbooks" && budget.tenantId === null);
    expect(appBudget?.pausedUntil?.getTime()).toBe(clock.now().getTime() + TEN_DAYS);
    expect(appBudget?.pauseReason).toMatchObject({ status: 429, limit: "month", message: expect.stringMatching(/monthly CorePlus quota/) });

    // The quota is the workspace's: another company's event waits too, without a call.
    await receive(inbox, "qbo", quickBooksClassicPayload(VERIFIER, [{ realmId: OTHER, name: "Invoice", id: "2", lastUpdated: iso(0) }]));
    for (let day = 0; day < 9; day += 1) {
      clock.advance(86_400_000);
      await inbox.drain();
    }
    expect(qbo.calls.total).toBe(1);
    expect(handled).toEqual([]);

    qbo.resetMonthlyQuota();
    clock.advance(86_400_000);
    await inbox.drain();
    expect(handled.map((item) => item.entityId).sort()).toEqual(["1", "2"]);
    event = (await inbox.getEvent(first!.id))!;
    expect(event).toMatchObject({ status: "succeeded", attemptsMade: 1 });
  });

  it("a per-minute 429 is still a 60-second wait for that realm only", async () => {
    const { inbox, clock, qbo } = await setup();
    qbo.records.set(REALM, "Invoice", "1");
    await receive(inbox, "qbo", quickBooksClassicPayload(VERIFIER, [{ realmId: REALM, name: "Invoice", id: "1", lastUpdated: iso(0) }]));
    qbo.throttleNext({ format: "json" });
    clock.advance(1_000);
    await inbox.drain();
    const [first] = (await inbox.listEvents({ integration: "qbo" })).items;
    const event = (await inbox.getEvent(first!.id))!;
    expect(event.nextAttemptAt.getTime() - clock.now().getTime()).toBe(60_000);
    expect(event.attempts[0]!.error).not.toMatch(/month/);
  });
});
