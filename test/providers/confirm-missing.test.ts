import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createWebhookInbox, MemoryStore, RateLimitedError, type InboxEvent, type WebhookProcessor } from "webhook-inbox";
import { quickbooks } from "webhook-inbox/quickbooks";
import {
  ManualClock,
  quickBooksCloudEventsPayload,
  startFakeQuickBooks,
  startFakeXero,
  xeroPayload,
  type FakeQuickBooks,
  type FakeXero,
} from "webhook-inbox/testing";
import { xero } from "webhook-inbox/xero";

const VERIFIER = "qbo-verifier-token";
const XERO_KEY = "xero-webhook-key";
const REALM = "4620816365000000001";
const TENANT = "e629a03c-7ffe-4913-bd94-ff2fdb36a702";
const START = new Date("2030-01-01T00:00:00.000Z");
const FOUND_AGAIN = "not in the batch answer; found by a single-record read";
const CONFIRMED = "not in the batch answer; a single-record read confirmed it is missing";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

async function setup(): Promise<{ inbox: WebhookProcessor; clock: ManualClock; qbo: FakeQuickBooks; xeroApi: FakeXero; handled: InboxEvent[] }> {
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
      qbo: { provider: quickbooks({ verifierToken: VERIFIER, getAccessToken: () => "access-token", baseUrl: qbo.url }), mode: "delayed", delayMs: 1_000 },
      xero: { provider: xero({ webhookKey: XERO_KEY, getAccessToken: () => "access-token", baseUrl: xeroApi.url }), mode: "delayed", delayMs: 1_000 },
    },
    handler: (event) => {
      handled.push(event);
    },
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  open.push({ close: () => inbox.stop() });
  return { inbox, clock, qbo, xeroApi, handled };
}

async function send(inbox: WebhookProcessor, integration: string, signed: { body: string; headers: Record<string, string> }) {
  const answer = await inbox.receive({ integration, rawBody: new TextEncoder().encode(signed.body), headers: signed.headers });
  expect(answer.status).toBeLessThan(300);
}

async function attemptsOf(inbox: WebhookProcessor, integration: string, entityId: string) {
  const [summary] = (await inbox.listEvents({ integration, entityId })).items;
  const details = await inbox.getEvent(summary!.id);
  return details!.attempts.map((attempt) => [attempt.outcome, attempt.error]);
}

describe("a record absent from a batch answer is read once more before the handler is told it is gone", () => {
  it("QuickBooks: a batch answer that leaves a live invoice out → GET /invoice/{id} finds it; a gone one is confirmed missing", async () => {
    const { inbox, clock, qbo, handled } = await setup();
    qbo.records.set(REALM, "Invoice", "7", { DocNumber: "INV-7" });
    await send(
      inbox,
      "qbo",
      quickBooksCloudEventsPayload(VERIFIER, [
        { realmId: REALM, name: "Invoice", id: "7", lastUpdated: "2029-12-31T23:00:00Z" },
        { realmId: REALM, name: "Invoice", id: "8", lastUpdated: "2029-12-31T23:00:00Z" },
      ]),
    );
    // The batch answer comes back with no rows at all, as a cut-off response would.
    qbo.failNextRequest({
      status: 200,
      contentType: "application/json",
      body: JSON.stringify({ BatchItemResponse: [{ bId: "q0", QueryResponse: {} }], time: "x" }),
    });
    clock.advance(1_000);
    await inbox.drain();

    const byId = new Map(handled.map((event) => [event.entityId, event.resource]));
    expect(byId.get("7")).toMatchObject({ Id: "7", DocNumber: "INV-7" });
    expect(byId.get("8")).toBeNull();
    expect(qbo.calls.log.map((call) => [call.endpoint, call.ids.join(","), call.status]).sort()).toEqual([
      ["batch", "7,8", 200],
      ["read", "7", 200],
      ["read", "8", 400],
    ]);
    expect(await attemptsOf(inbox, "qbo", "7")).toEqual([["succeeded", FOUND_AGAIN]]);
    expect(await attemptsOf(inbox, "qbo", "8")).toEqual([["succeeded", CONFIRMED]]);
  });

  it("Xero: an IDs= answer that leaves a contact out → GET /Contacts/{id} finds it; a gone one is confirmed missing", async () => {
    const { inbox, clock, xeroApi, handled } = await setup();
    const [live, gone] = [randomUUID(), randomUUID()];
    xeroApi.records.set(TENANT, "CONTACT", live, { Name: "Still here" });
    await send(
      inbox,
      "xero",
      xeroPayload(XERO_KEY, [
        { tenantId: TENANT, category: "CONTACT", resourceId: live, eventDateUtc: "2029-12-31T23:00:00" },
        { tenantId: TENANT, category: "CONTACT", resourceId: gone, eventDateUtc: "2029-12-31T23:00:00" },
      ]),
    );
    xeroApi.failNextRequest({ status: 200, contentType: "application/json", body: JSON.stringify({ Contacts: [] }) });
    clock.advance(1_000);
    await inbox.drain();

    const byId = new Map(handled.map((event) => [event.entityId, event.resource]));
    expect(byId.get(live)).toMatchObject({ ContactID: live, Name: "Still here" });
    expect(byId.get(gone)).toBeNull();
    expect(xeroApi.calls.count({ endpoint: "Contacts" })).toBe(1);
    expect(xeroApi.calls.count({ endpoint: "Contacts/{id}" })).toBe(2);
    expect(await attemptsOf(inbox, "xero", live)).toEqual([["succeeded", FOUND_AGAIN]]);
    expect(await attemptsOf(inbox, "xero", gone)).toEqual([["succeeded", CONFIRMED]]);
  });

  it("a record every read finds costs one call and carries no note; a delete is never read", async () => {
    const { inbox, clock, qbo, handled } = await setup();
    qbo.records.set(REALM, "Invoice", "1");
    await send(
      inbox,
      "qbo",
      quickBooksCloudEventsPayload(VERIFIER, [
        { realmId: REALM, name: "Invoice", id: "1", lastUpdated: "2029-12-31T23:00:00Z" },
        { realmId: REALM, name: "Invoice", id: "2", operation: "Delete", lastUpdated: "2029-12-31T23:00:00Z" },
      ]),
    );
    clock.advance(1_000);
    await inbox.drain();
    expect(handled).toHaveLength(2);
    expect(qbo.calls.total).toBe(1);
    expect(await attemptsOf(inbox, "qbo", "1")).toEqual([["succeeded", null]]);
  });

  it("the second read is rate limited like any call: a throttle on it parks the event, no automatic attempt spent", async () => {
    const { inbox, clock, qbo, handled } = await setup();
    qbo.records.set(REALM, "Invoice", "3");
    await send(inbox, "qbo", quickBooksCloudEventsPayload(VERIFIER, [{ realmId: REALM, name: "Invoice", id: "3", lastUpdated: "2029-12-31T23:00:00Z" }]));
    qbo.failNextRequest({
      status: 200,
      contentType: "application/json",
      body: JSON.stringify({ BatchItemResponse: [{ bId: "q0", QueryResponse: {} }], time: "x" }),
    });
    // failNextRequest answers the batch; the single read after it meets the throttle.
    qbo.throttleNext();
    clock.advance(1_000);
    await inbox.drain();
    expect(handled).toEqual([]);
    expect(await attemptsOf(inbox, "qbo", "3")).toEqual([["rate_limited", expect.stringMatching(/rate limited/)]]);
    clock.advance(60_000);
    await inbox.drain();
    expect(handled.map((event) => event.resource)).toEqual([expect.objectContaining({ Id: "3" })]);
  });
});

describe("the adapters' single-record reads", () => {
  const signal = new AbortController().signal;

  it("QuickBooks fetchResource: found (inactive too), 610 → confirmed missing, throttle → RateLimitedError", async () => {
    const fake = await startFakeQuickBooks();
    open.push(fake);
    fake.records.set(REALM, "Customer", "11", { Active: false });
    const provider = quickbooks({ verifierToken: "v", getAccessToken: () => "access-token", baseUrl: fake.url });
    const read = (id: string) => provider.fetchResource!({ tenantId: REALM, entityType: "Customer", id, signal, observe: () => {} });
    expect(await read("000000011")).toMatchObject({ status: "found", data: { Id: "11", Active: false } });
    expect(await read("12")).toEqual({ status: "missing", confirmed: true });
    fake.throttleNext();
    await expect(read("11")).rejects.toBeInstanceOf(RateLimitedError);
    expect(fake.calls.log.map((call) => call.endpoint)).toEqual(["read", "read", "read"]);
  });

  it("Xero fetchResource: GET /Invoices/{id} found, 404 → confirmed missing", async () => {
    const fake = await startFakeXero();
    open.push(fake);
    const id = randomUUID();
    fake.records.set(TENANT, "INVOICE", id, { Status: "VOIDED" });
    const provider = xero({ webhookKey: "k", getAccessToken: () => "access-token", baseUrl: fake.url });
    const read = (which: string) => provider.fetchResource!({ tenantId: TENANT, entityType: "INVOICE", id: which, signal, observe: () => {} });
    expect(await read(id)).toMatchObject({ status: "found", data: { InvoiceID: id, Status: "VOIDED" } });
    expect(await read(randomUUID())).toEqual({ status: "missing", confirmed: true });
    expect(fake.calls.count({ endpoint: "Invoices/{id}" })).toBe(2);
  });
});
