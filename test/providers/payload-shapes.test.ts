import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createWebhookInbox, MemoryStore, type InboxEvent, type WebhookProcessor } from "webhook-inbox";
import { quickbooks } from "webhook-inbox/quickbooks";
import { ManualClock, signQuickBooks, startFakeQuickBooks, startFakeXero, xeroPayload, type FakeQuickBooks, type FakeXero } from "webhook-inbox/testing";
import { xero } from "webhook-inbox/xero";
import { providerRequest } from "./fixtures.ts";

const VERIFIER = "qbo-verifier-token";
const XERO_KEY = "xero-webhook-key";
const REALM = "9130357766900000009";
const START = new Date("2030-01-01T00:00:00.000Z");

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

async function setup(): Promise<{ inbox: WebhookProcessor; clock: ManualClock; qbo: FakeQuickBooks; xeroApi: FakeXero; handled: InboxEvent[] }> {
  const clock = new ManualClock(START);
  const qbo = await startFakeQuickBooks();
  const xeroApi = await startFakeXero();
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

function signedQuickBooks(body: string, contentType = "application/json") {
  return { rawBody: new TextEncoder().encode(body), headers: { "content-type": contentType, "intuit-signature": signQuickBooks(body, VERIFIER) } };
}

const adapter = quickbooks({ verifierToken: VERIFIER, getAccessToken: () => "access-token" });

describe("every payload shape the providers document", () => {
  it("classic lastUpdated as epoch milliseconds (a number or a string of digits) parses to that instant", () => {
    const body = JSON.stringify({
      eventNotifications: [
        {
          realmId: REALM,
          dataChangeEvent: {
            entities: [
              { name: "Invoice", id: "1", operation: "Update", lastUpdated: 1_757_364_751_657 },
              { name: "Invoice", id: "2", operation: "Update", lastUpdated: "1757364751658" },
              { name: "Invoice", id: "3", operation: "Update", lastUpdated: "2025-09-08T20:52:31.659Z" },
            ],
          },
        },
      ],
    });
    const { events } = adapter.parse(providerRequest(body));
    expect(events.map((event) => event.occurredAt.toISOString())).toEqual(["2025-09-08T20:52:31.657Z", "2025-09-08T20:52:31.658Z", "2025-09-08T20:52:31.659Z"]);
    for (const bad of [-1, 1.5, "soon"]) {
      const broken = body.replace("1757364751657", JSON.stringify(bad));
      // The bad entity is set apart with its reason; its neighbours still parse.
      const partial = adapter.parse(providerRequest(broken));
      expect(partial.events.map((event) => event.entityId)).toEqual(["2", "3"]);
      expect(partial.rejected?.reason).toMatch(/entities\[0\]\.lastUpdated/);
    }
  });

  it("a CloudEvent without time takes the delivery's receive time and says so in its payload", () => {
    const body = JSON.stringify([
      { specversion: "1.0", id: "e-1", source: "intuit.x", type: "qbo.invoice.updated.v1", intuitentityid: "5", intuitaccountid: REALM, data: {} },
    ]);
    const receivedAt = new Date("2030-02-03T04:05:06.007Z");
    const [event] = adapter.parse({ ...providerRequest(body), receivedAt }).events;
    expect(event!.occurredAt).toEqual(receivedAt);
    expect(event!.payload).toMatchObject({ format: "cloudevents", occurredAtNote: "the CloudEvent has no time: occurredAt is the delivery's receive time" });
  });

  it("through the inbox: the event's occurredAt is its receive time, and it is handled with its data", async () => {
    const { inbox, clock, qbo, handled } = await setup();
    qbo.records.set(REALM, "Invoice", "5");
    const body = JSON.stringify([
      { specversion: "1.0", id: "e-2", source: "intuit.x", type: "qbo.invoice.updated.v1", intuitentityid: "5", intuitaccountid: REALM },
    ]);
    const answer = await inbox.receive({ integration: "qbo", ...signedQuickBooks(body, "application/cloudevents+json") });
    expect(answer.status).toBeLessThan(300);
    clock.advance(1_000);
    await inbox.drain();
    expect(handled).toHaveLength(1);
    expect(handled[0]!.occurredAt).toEqual(START);
    expect(handled[0]!.resource).toMatchObject({ Id: "5" });
  });

  it("the staleness guard says so when it skips an event dated by its receipt", async () => {
    const { inbox, clock, qbo } = await setup();
    qbo.records.set(REALM, "Invoice", "6");
    for (const id of ["t-1", "t-2"]) {
      const body = JSON.stringify([
        { specversion: "1.0", id, source: "intuit.x", type: "qbo.invoice.updated.v1", intuitentityid: "6", intuitaccountid: REALM },
      ]);
      await inbox.receive({ integration: "qbo", ...signedQuickBooks(body) });
      clock.advance(10);
    }
    clock.advance(1_000);
    await inbox.drain();
    const stale = (await inbox.listEvents({ integration: "qbo", status: "stale" })).items;
    expect(stale).toHaveLength(1);
    const details = await inbox.getEvent(stale[0]!.id);
    expect(details!.attempts.at(-1)!.error).toMatch(/superseded by newer event .*\(the CloudEvent has no time: occurredAt is the delivery's receive time\)$/);
  });

  it("an application/cloudevents-batch+json body is accepted and split into its events", async () => {
    const { inbox } = await setup();
    const body = JSON.stringify(
      ["7", "8"].map((id) => ({
        specversion: "1.0",
        id: `b-${id}`,
        source: "intuit.x",
        type: "qbo.invoice.created.v1",
        time: "2029-12-31T00:00:00Z",
        intuitentityid: id,
        intuitaccountid: REALM,
      })),
    );
    const answer = await inbox.receive({ integration: "qbo", ...signedQuickBooks(body, "application/cloudevents-batch+json; charset=utf-8") });
    expect(answer.status).toBeLessThan(300);
    expect((await inbox.listEvents({ integration: "qbo" })).items.map((event) => event.entityId).sort()).toEqual(["7", "8"]);
  });

  it("a Xero SUBSCRIPTION event reaches the handler with its payload, with no API call", async () => {
    const { inbox, clock, xeroApi, handled } = await setup();
    const applicationId = randomUUID();
    const subscriptionId = randomUUID();
    const signed = xeroPayload(XERO_KEY, [
      { tenantId: applicationId, category: "SUBSCRIPTION", resourceId: subscriptionId, eventDateUtc: "2029-12-31T23:00:00" },
    ]);
    await inbox.receive({ integration: "xero", rawBody: new TextEncoder().encode(signed.body), headers: signed.headers });
    clock.advance(1_000);
    await inbox.drain();
    expect(handled).toHaveLength(1);
    expect(handled[0]).toMatchObject({
      entityType: "SUBSCRIPTION",
      entityId: subscriptionId,
      tenantId: applicationId,
      resource: null,
      payload: { eventCategory: "SUBSCRIPTION", tenantType: "APPLICATION", resourceId: subscriptionId },
    });
    expect(xeroApi.calls.total).toBe(0);
    const [summary] = (await inbox.listEvents({ integration: "xero" })).items;
    expect(summary!.status).toBe("succeeded");
  });

  it("a body well above Intuit's ~1 MB maximum is accepted by default (4 MiB), never answered 413", async () => {
    const { inbox } = await setup();
    const entities = Array.from({ length: 20 }, (_, index) => ({
      name: "Invoice",
      id: String(index + 1),
      operation: "Update",
      lastUpdated: "2029-12-31T00:00:00Z",
    }));
    // Whitespace is valid JSON and signed like any other byte: about 2 MiB in all.
    const body = `${JSON.stringify({ eventNotifications: [{ realmId: REALM, dataChangeEvent: { entities } }] })}${" ".repeat(2 * 1_048_576)}`;
    expect(inbox.maxBodyBytes).toBe(4 * 1_048_576);
    const answer = await inbox.receive({ integration: "qbo", ...signedQuickBooks(body) });
    expect(answer.status).toBeLessThan(300);
    expect((await inbox.listEvents({ integration: "qbo" })).items).toHaveLength(20);
  });
});

describe("one bad entry never sinks its neighbours", () => {
  it("QuickBooks classic: the good entities are stored as events; the bad one is an unparseable delivery with its reason, re-processable", async () => {
    const { inbox } = await setup();
    const entities = [
      { name: "Invoice", id: "1", operation: "Update", lastUpdated: "2029-12-31T00:00:00Z" },
      { name: "Invoice", id: "2", operation: "Update", lastUpdated: "yesterday-ish" },
      { name: "Invoice", id: "3", operation: "Update", lastUpdated: "2029-12-31T00:00:01Z" },
    ];
    const body = JSON.stringify({ eventNotifications: [{ realmId: REALM, dataChangeEvent: { entities } }] });
    const answer = await inbox.receive({ integration: "qbo", ...signedQuickBooks(body) });
    expect(answer.status).toBe(200);
    expect((await inbox.listEvents({ integration: "qbo" })).items.map((event) => event.entityId).sort()).toEqual(["1", "3"]);

    const deliveries = (await inbox.listDeliveries({ integration: "qbo" })).items;
    const bad = deliveries.find((delivery) => delivery.status === "unparseable")!;
    const main = deliveries.find((delivery) => delivery.status === "accepted")!;
    expect(bad.reason).toMatch(/1 entry of delivery .* could not be parsed.*entities\[1\]\.lastUpdated is not an ISO-8601 date-time nor epoch milliseconds/);
    expect(main.reason).toBe(`accepted for processing; 1 unreadable entry kept as unparseable delivery ${bad.id}`);
    const stored = await inbox.getDelivery(bad.id);
    expect(JSON.parse(Buffer.from(stored!.rawBody).toString("utf8"))).toEqual({
      eventNotifications: [{ realmId: REALM, dataChangeEvent: { entities: [entities[1]] } }],
    });
    // Re-processable: the operator's re-process reads it again (and, with the same bytes, says why it still fails).
    await expect(inbox.reprocessDelivery(bad.id)).rejects.toThrow(/lastUpdated/);

    // A redelivery of the same webhook stores nothing new.
    await inbox.receive({ integration: "qbo", ...signedQuickBooks(body) });
    expect((await inbox.listDeliveries({ integration: "qbo", status: "unparseable" })).items).toHaveLength(1);
  });

  it("QuickBooks CloudEvents and Xero: one malformed event among valid ones", async () => {
    const { inbox } = await setup();
    const good = {
      specversion: "1.0",
      id: "g-1",
      source: "intuit.x",
      type: "qbo.invoice.updated.v1",
      time: "2029-12-31T00:00:00Z",
      intuitentityid: "9",
      intuitaccountid: REALM,
    };
    const odd = { specversion: "1.0", id: "o-1", source: "intuit.x", type: "not-a-qbo-type", intuitentityid: "10", intuitaccountid: REALM };
    await inbox.receive({ integration: "qbo", ...signedQuickBooks(JSON.stringify([good, odd]), "application/cloudevents+json") });
    expect((await inbox.listEvents({ integration: "qbo" })).items.map((event) => event.entityId)).toEqual(["9"]);
    const [badQbo] = (await inbox.listDeliveries({ integration: "qbo", status: "unparseable" })).items;
    expect(badQbo!.reason).toMatch(/\[1\]\.type must look like qbo/);

    const tenant = randomUUID();
    const signed = xeroPayload(XERO_KEY, [{ tenantId: tenant, category: "CONTACT", resourceId: randomUUID(), eventDateUtc: "2029-12-31T23:00:00" }]);
    const parsed = JSON.parse(signed.body) as { events: unknown[] };
    parsed.events.push({ resourceId: randomUUID(), eventCategory: "CONTACT", tenantId: tenant, eventType: "UPDATE" }); // no eventDateUtc
    const body = JSON.stringify(parsed);
    const { signXero } = await import("webhook-inbox/testing");
    const answer = await inbox.receive({
      integration: "xero",
      rawBody: new TextEncoder().encode(body),
      headers: { "content-type": "application/json", "x-xero-signature": signXero(body, XERO_KEY) },
    });
    expect(answer).toMatchObject({ status: 200, body: "" });
    expect((await inbox.listEvents({ integration: "xero" })).items).toHaveLength(1);
    const [badXero] = (await inbox.listDeliveries({ integration: "xero", status: "unparseable" })).items;
    expect(badXero!.reason).toMatch(/events\[1\]\.eventDateUtc is missing/);
  });

  it("a body with nothing readable is still unparseable whole", async () => {
    const { inbox } = await setup();
    const body = JSON.stringify([{ specversion: "1.0", id: "x", type: "nope", intuitentityid: "1", intuitaccountid: REALM }]);
    const answer = await inbox.receive({ integration: "qbo", ...signedQuickBooks(body) });
    expect(answer.status).toBe(200);
    const deliveries = (await inbox.listDeliveries({ integration: "qbo" })).items;
    expect(deliveries.map((delivery) => delivery.status)).toEqual(["unparseable"]);
    expect(Buffer.from((await inbox.getDelivery(deliveries[0]!.id))!.rawBody).toString("utf8")).toBe(body);
  });
});
