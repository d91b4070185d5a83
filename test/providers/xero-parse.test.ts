import { describe, expect, it } from "vitest";
import { WebhookPayloadError } from "webhook-inbox";
import { xeroPayload } from "webhook-inbox/testing";
import { xero } from "webhook-inbox/xero";
import { fixtureBytes, providerRequest } from "./fixtures.ts";

const key = "xero-test-webhook-key-0123456789";
const adapter = xero({ webhookKey: key, getAccessToken: async () => "t" });
const parse = (body: Uint8Array | string) => adapter.parse(providerRequest(body, { "content-type": "application/json" }));

describe("xero parse: fixtures", () => {
  it("xero-events.json → one CONTACT UPDATE, zone-less eventDateUtc read as UTC", () => {
    const delivery = parse(fixtureBytes("xero-events.json"));
    expect(delivery.handshake).toBeUndefined();
    expect(delivery.events).toHaveLength(1);
    const [event] = delivery.events;
    expect(event).toMatchObject({
      tenantId: "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f",
      entityType: "CONTACT",
      entityId: "717f2bfc-c6d4-41fd-b238-3f2f0c0cf777",
      operation: "UPDATE",
      deleted: false,
    });
    expect(event!.occurredAt.toISOString()).toBe("2024-06-21T01:15:39.902Z");
    expect(event!.payload).toMatchObject({ resourceId: "717f2bfc-c6d4-41fd-b238-3f2f0c0cf777", tenantType: "ORGANISATION" });
    expect(delivery.dedupeKey).toMatch(/^xero:[0-9a-f]{64}$/);
  });

  it("xero-events-wire.json → the same invoice twice, as two events with their own times", () => {
    const { events } = parse(fixtureBytes("xero-events-wire.json"));
    expect(events.map((event) => [event.tenantId, event.entityType, event.entityId, event.operation])).toEqual([
      ["e629a03c-7ffe-4913-bd94-ff2fdb36a702", "INVOICE", "44aa0707-f718-4f1c-8d53-f2da9ca59533", "UPDATE"],
      ["e629a03c-7ffe-4913-bd94-ff2fdb36a702", "INVOICE", "44aa0707-f718-4f1c-8d53-f2da9ca59533", "UPDATE"],
    ]);
    expect(events.map((event) => event.occurredAt.toISOString())).toEqual(["2018-02-09T09:18:28.917Z", "2018-02-09T09:19:05.060Z"]);
  });

  it("xero-creditnote-event.json → CREDITNOTE CREATE with its data in the payload", () => {
    const { events } = parse(fixtureBytes("xero-creditnote-event.json"));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      tenantId: "aef86862-2015-4b6b-88bc-d89032cecc50",
      entityType: "CREDITNOTE",
      entityId: "55d84274-a3da-4829-a7c0-0cab601b95cc",
      operation: "CREATE",
      deleted: false,
      payload: { data: { Type: "ACCPAYCREDIT", Status: "DRAFT" } },
    });
    expect(events[0]!.occurredAt.toISOString()).toBe("2025-12-02T00:44:09.923Z");
  });

  it("both intent-to-receive bodies are handshakes with no events", () => {
    for (const file of ["xero-intent-to-receive.json", "xero-intent-to-receive-docs.json"]) {
      const delivery = parse(fixtureBytes(file));
      expect(delivery, file).toMatchObject({ handshake: true, events: [] });
      expect(delivery.dedupeKey).toMatch(/^xero:itr:[0-9a-f]{64}$/);
    }
    expect(parse(fixtureBytes("xero-intent-to-receive.json")).dedupeKey).not.toBe(parse(fixtureBytes("xero-intent-to-receive-docs.json")).dedupeKey);
  });
});

describe("xero parse: behaviour", () => {
  const tenantId = "11111111-1111-4111-8111-111111111111";
  const resourceId = "22222222-2222-4222-8222-222222222222";

  it("eventType and eventCategory in any case are upper-cased", () => {
    const { body } = xeroPayload(key, [{ tenantId, category: "Invoice", resourceId, eventType: "Update", eventDateUtc: "2026-01-01T00:00:00" }]);
    expect(parse(body).events[0]).toMatchObject({ entityType: "INVOICE", operation: "UPDATE" });
  });

  it("routes each event by its own tenantId", () => {
    const other = "33333333-3333-4333-8333-333333333333";
    const { body } = xeroPayload(key, [
      { tenantId, category: "CONTACT", resourceId, eventDateUtc: "2026-01-01T00:00:00" },
      { tenantId: other, category: "CONTACT", resourceId, eventDateUtc: "2026-01-01T00:00:00" },
    ]);
    expect(parse(body).events.map((event) => event.tenantId)).toEqual([tenantId, other]);
  });

  it("dedupe key: a redelivery with new entropy, sequence numbers or spacing has the same key; other changes do not", () => {
    const change = { tenantId, category: "INVOICE", resourceId, eventDateUtc: "2026-01-01T00:00:00.123" };
    const key1 = parse(xeroPayload(key, [change], { entropy: "AAAA", firstEventSequence: 5 }).body).dedupeKey;
    const key2 = parse(xeroPayload(key, [change], { entropy: "BBBB", firstEventSequence: 9 }).body).dedupeKey;
    const pretty = parse(JSON.stringify(JSON.parse(xeroPayload(key, [change]).body), null, 2)).dedupeKey;
    expect(key2).toBe(key1);
    expect(pretty).toBe(key1);
    expect(parse(xeroPayload(key, [{ ...change, eventDateUtc: "2026-01-01T00:00:00.124" }]).body).dedupeKey).not.toBe(key1);
    expect(parse(xeroPayload(key, [{ ...change, eventType: "CREATE" }]).body).dedupeKey).not.toBe(key1);
    expect(key1.startsWith("xero:")).toBe(true);
  });
});

describe("xero parse: malformed payloads are WebhookPayloadError naming the problem", () => {
  const good = { resourceId: "r", eventDateUtc: "2026-01-01T00:00:00", eventType: "UPDATE", eventCategory: "INVOICE", tenantId: "t" };
  const cases: [string, string | Uint8Array, RegExp][] = [
    ["empty body", " ", /body is empty/],
    ["not JSON", "{events:", /not valid JSON/],
    ["invalid UTF-8", new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]), /not valid UTF-8/],
    ["an array", "[]", /body must be a JSON object with events/],
    ["no events", '{"entropy":"x"}', /events is missing/],
    ["events not an array", '{"events":{}}', /events must be an array/],
    ["event without resourceId", JSON.stringify({ events: [{ ...good, resourceId: undefined }] }), /events\[0\]\.resourceId is missing/],
    ["event with an empty tenantId", JSON.stringify({ events: [{ ...good, tenantId: "" }] }), /events\[0\]\.tenantId must be a non-empty string/],
    ["bad eventDateUtc", JSON.stringify({ events: [{ ...good, eventDateUtc: "21/06/2024" }] }), /events\[0\]\.eventDateUtc is not an ISO-8601 date-time/],
    ["eventType not a string", JSON.stringify({ events: [{ ...good, eventType: 3 }] }), /events\[0\]\.eventType must be a string/],
  ];
  for (const [name, body, message] of cases) {
    it(name, () => {
      let caught: unknown;
      try {
        parse(body);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(WebhookPayloadError);
      expect((caught as Error).message).toMatch(message);
    });
  }
});

describe("xero parse: values at the edge of each field's rule", () => {
  const event = { resourceId: " r1 ", eventDateUtc: "2024-06-21T01:15:39.902", eventType: "update", eventCategory: " contact", tenantId: "t1" };

  it("padded text is trimmed and upper-cased, a zone-less time is UTC", () => {
    const [parsed] = parse(JSON.stringify({ events: [event], firstEventSequence: 1, lastEventSequence: 1, entropy: "E" })).events;
    expect(parsed).toMatchObject({ tenantId: "t1", entityType: "CONTACT", entityId: "r1", operation: "UPDATE" });
    expect(parsed!.occurredAt.toISOString()).toBe("2024-06-21T01:15:39.902Z");
  });

  it("a numeric tenantType or a text sequence number is refused with its path", () => {
    expect(() => parse(JSON.stringify({ events: [{ ...event, tenantType: 1 }] }))).toThrow(/events\[0\]\.tenantType must be a string/);
    expect(() => parse(JSON.stringify({ events: [event], firstEventSequence: "1" }))).toThrow(/firstEventSequence must be a number/);
  });
});
