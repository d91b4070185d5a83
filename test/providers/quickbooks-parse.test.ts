import { describe, expect, it } from "vitest";
import { WebhookPayloadError } from "webhook-inbox";
import { quickbooks } from "webhook-inbox/quickbooks";
import { quickBooksClassicPayload, quickBooksCloudEventsPayload } from "webhook-inbox/testing";
import { fixtureBytes, providerRequest } from "./fixtures.ts";

const token = "test-verifier-token-1234";
const adapter = quickbooks({ verifierToken: token, getAccessToken: async () => "t" });
const parse = (body: Uint8Array | string, headers: Record<string, string> = { "content-type": "application/json" }) =>
  adapter.parse(providerRequest(body, headers));

describe("quickbooks parse: fixtures", () => {
  it("qbo-classic.json → one Account Create in realm 310687", () => {
    const delivery = parse(fixtureBytes("qbo-classic.json"));
    expect(delivery.handshake).toBeUndefined();
    expect(delivery.events).toHaveLength(1);
    const [event] = delivery.events;
    expect(event).toMatchObject({
      tenantId: "310687",
      entityType: "Account",
      entityId: "1234",
      operation: "Create",
      deleted: false,
    });
    expect(event!.occurredAt.toISOString()).toBe("2025-09-08T20:52:31.657Z");
    expect(event!.payload).toEqual({
      format: "classic",
      event: { realmId: "310687", id: "1234", operation: "Create", name: "Account", lastUpdated: "2025-09-08T20:52:31.657Z" },
    });
    expect(delivery.dedupeKey).toMatch(/^quickbooks:[0-9a-f]{64}$/);
  });

  it("qbo-classic-multi-entity.json → Customer and Vendor, lastUpdated with a -0700 offset without a colon", () => {
    const { events } = parse(fixtureBytes("qbo-classic-multi-entity.json"));
    expect(events.map((event) => [event.tenantId, event.entityType, event.entityId, event.operation, event.deleted])).toEqual([
      ["1185883450", "Customer", "1", "Create", false],
      ["1185883450", "Vendor", "1", "Create", false],
    ]);
    // 14:42:19 at UTC-7 is 21:42:19 UTC.
    expect(events.map((event) => event.occurredAt.toISOString())).toEqual(["2015-10-05T21:42:19.000Z", "2015-10-05T21:42:19.000Z"]);
  });

  it("qbo-cloudevents.json → Account Create, nanosecond time truncated to ms, same entity type as classic", () => {
    const delivery = parse(fixtureBytes("qbo-cloudevents.json"));
    expect(delivery.events).toHaveLength(1);
    const [event] = delivery.events;
    expect(event).toMatchObject({ tenantId: "310687", entityType: "Account", entityId: "1234", operation: "Create", deleted: false });
    expect(event!.occurredAt.toISOString()).toBe("2025-09-10T21:31:25.179Z");
    expect(event!.payload).toMatchObject({ format: "cloudevents", event: { id: "88cd52aa-33b6-4351-9aa4-47572edbd068", type: "qbo.account.created.v1" } });
  });

  it("qbo-cloudevents.json also parses when sent as application/cloudevents+json", () => {
    const asJson = parse(fixtureBytes("qbo-cloudevents.json"));
    const asCloudEvents = parse(fixtureBytes("qbo-cloudevents.json"), { "content-type": "application/cloudevents+json" });
    expect(asCloudEvents).toEqual(asJson);
    expect(adapter.contentTypes).toEqual(["application/json", "application/cloudevents+json", "application/cloudevents-batch+json"]);
  });

  it("qbo-cloudevents-merged.json → survivor 123 (fetched, merged-away id in payload) and merged-away 27 (deleted)", () => {
    const { events } = parse(fixtureBytes("qbo-cloudevents-merged.json"));
    expect(events).toHaveLength(2);
    const [survivor, gone] = events;
    expect(survivor).toMatchObject({
      tenantId: "93414556*********",
      entityType: "Customer",
      entityId: "123",
      operation: "Merge",
      deleted: false,
      payload: { format: "cloudevents", mergedAwayId: "27" },
    });
    expect(gone).toMatchObject({
      tenantId: "93414556*********",
      entityType: "Customer",
      entityId: "27",
      operation: "Merge",
      deleted: true,
      payload: { format: "cloudevents", mergedInto: "123" },
    });
    expect(survivor!.occurredAt.toISOString()).toBe("2025-12-04T15:25:05.000Z");
  });
});

describe("quickbooks parse: behaviour", () => {
  it("routes every entity to its own realm; realm ids stay strings, even beyond 2^53", () => {
    const bigRealm = "9341455612345678901";
    const { body } = quickBooksCloudEventsPayload(token, [
      { realmId: bigRealm, name: "Invoice", id: "1", operation: "Update", lastUpdated: "2026-01-01T00:00:00Z" },
      { realmId: "42", name: "Customer", id: "7", operation: "Create", lastUpdated: "2026-01-01T00:00:01Z" },
    ]);
    const { events } = parse(body);
    expect(events.map((event) => [event.tenantId, event.entityType, event.entityId, event.operation])).toEqual([
      [bigRealm, "Invoice", "1", "Update"],
      ["42", "Customer", "7", "Create"],
    ]);
  });

  it("Delete → deleted; Void and Emailed → not deleted (the entity still exists)", () => {
    const { body } = quickBooksClassicPayload(token, [
      { realmId: "1", name: "Invoice", id: "1", operation: "Delete", lastUpdated: "2026-01-01T00:00:00Z" },
      { realmId: "1", name: "Invoice", id: "2", operation: "Void", lastUpdated: "2026-01-01T00:00:00Z" },
      { realmId: "1", name: "Invoice", id: "3", operation: "Emailed", lastUpdated: "2026-01-01T00:00:00Z" },
    ]);
    expect(parse(body).events.map((event) => [event.entityId, event.operation, event.deleted])).toEqual([
      ["1", "Delete", true],
      ["2", "Void", false],
      ["3", "Emailed", false],
    ]);
  });

  it("classic Merge with deletedId names the merged-away entity as deleted", () => {
    const { body } = quickBooksClassicPayload(token, [
      { realmId: "1", name: "Customer", id: "10", operation: "Merge", deletedId: "11", lastUpdated: "2026-01-01T00:00:00Z" },
    ]);
    expect(parse(body).events.map((event) => [event.entityId, event.deleted, event.payload])).toEqual([
      ["10", false, expect.objectContaining({ mergedAwayId: "11" })],
      ["11", true, expect.objectContaining({ mergedInto: "10" })],
    ]);
  });

  it("reads data.deletedId in any case", () => {
    const body = JSON.stringify([
      {
        specversion: "1.0",
        id: "e1",
        source: "s",
        type: "qbo.vendor.merged.v1",
        time: "2026-01-01T00:00:00Z",
        intuitentityid: "5",
        intuitaccountid: "9",
        data: { DeletedId: "6" },
      },
    ]);
    expect(parse(body).events.map((event) => event.entityId)).toEqual(["5", "6"]);
  });

  it("CloudEvents dedupe key: the same ids in another order or spacing give the same key; another id a new one", () => {
    const changes = [
      { realmId: "1", name: "Invoice", id: "1", eventId: "a", lastUpdated: "2026-01-01T00:00:00Z" },
      { realmId: "1", name: "Invoice", id: "2", eventId: "b", lastUpdated: "2026-01-01T00:00:00Z" },
    ];
    const one = parse(quickBooksCloudEventsPayload(token, changes).body).dedupeKey;
    const reordered = parse(quickBooksCloudEventsPayload(token, [...changes].reverse()).body).dedupeKey;
    const pretty = parse(JSON.stringify(JSON.parse(quickBooksCloudEventsPayload(token, changes).body), null, 2)).dedupeKey;
    const other = parse(quickBooksCloudEventsPayload(token, [{ ...changes[0]!, eventId: "c" }, changes[1]!]).body).dedupeKey;
    expect(reordered).toBe(one);
    expect(pretty).toBe(one);
    expect(other).not.toBe(one);
    expect(one.startsWith("quickbooks:")).toBe(true);
  });

  it("classic dedupe key: realm + name + id + operation + lastUpdated; the same instant in another format is the same key", () => {
    const base = { realmId: "1", name: "Invoice", id: "1", operation: "Update", lastUpdated: "2015-10-05T14:42:19-0700" };
    const key = parse(quickBooksClassicPayload(token, [base]).body).dedupeKey;
    expect(parse(quickBooksClassicPayload(token, [{ ...base, lastUpdated: "2015-10-05T21:42:19.000Z" }]).body).dedupeKey).toBe(key);
    for (const change of [{ realmId: "2" }, { name: "Bill" }, { id: "2" }, { operation: "Delete" }, { lastUpdated: "2015-10-05T14:42:20-0700" }]) {
      expect(parse(quickBooksClassicPayload(token, [{ ...base, ...change }]).body).dedupeKey).not.toBe(key);
    }
  });

  it("accepts the lastUpdated formats seen in the wild, a zone-less time as UTC", () => {
    const cases: [string, string][] = [
      ["2025-09-08T20:52:31.657Z", "2025-09-08T20:52:31.657Z"],
      ["2015-10-05T14:42:19-0700", "2015-10-05T21:42:19.000Z"],
      ["2015-10-05T14:42:19-07:00", "2015-10-05T21:42:19.000Z"],
      ["2025-09-10T21:31:25.179851517Z", "2025-09-10T21:31:25.179Z"],
      ["2025-12-04T15:25:05+0530", "2025-12-04T09:55:05.000Z"],
      ["2025-12-04T15:25:05", "2025-12-04T15:25:05.000Z"],
    ];
    for (const [sent, expected] of cases) {
      const { body } = quickBooksClassicPayload(token, [{ realmId: "1", name: "Item", id: "1", lastUpdated: sent }]);
      expect(parse(body).events[0]!.occurredAt.toISOString(), sent).toBe(expected);
    }
  });
});

describe("quickbooks parse: malformed payloads are WebhookPayloadError naming the problem", () => {
  const cases: [string, string | Uint8Array, RegExp][] = [
    ["empty body", "", /body is empty/],
    ["not JSON", "{eventNotifications", /not valid JSON/],
    ["invalid UTF-8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), /not valid UTF-8/],
    ["a number", "42", /neither a CloudEvents array nor an object with eventNotifications/],
    ["an unrelated object", '{"events":[]}', /neither a CloudEvents array/],
    ["eventNotifications not an array", '{"eventNotifications":{}}', /eventNotifications .*array/],
    ["missing realmId", '{"eventNotifications":[{"dataChangeEvent":{"entities":[]}}]}', /eventNotifications\[0\]\.realmId is missing/],
    [
      "realm id as an unsafe number",
      '{"eventNotifications":[{"realmId":93414556123456789012,"dataChangeEvent":{"entities":[]}}]}',
      /eventNotifications\[0\]\.realmId must be a string/,
    ],
    [
      "entity without id",
      '{"eventNotifications":[{"realmId":"1","dataChangeEvent":{"entities":[{"name":"Invoice","operation":"Update","lastUpdated":"2020-01-01T00:00:00Z"}]}}]}',
      /eventNotifications\[0\]\.dataChangeEvent\.entities\[0\]\.id is missing/,
    ],
    [
      "bad lastUpdated",
      '{"eventNotifications":[{"realmId":"1","dataChangeEvent":{"entities":[{"name":"Invoice","id":"1","operation":"Update","lastUpdated":"yesterday"}]}}]}',
      /entities\[0\]\.lastUpdated is not an ISO-8601 date-time/,
    ],
    [
      "impossible date",
      '{"eventNotifications":[{"realmId":"1","dataChangeEvent":{"entities":[{"name":"Invoice","id":"1","operation":"Update","lastUpdated":"2025-02-30T00:00:00Z"}]}}]}',
      /lastUpdated is not an ISO-8601 date-time/,
    ],
    [
      "CloudEvent with a bad type",
      '[{"specversion":"1.0","id":"x","type":"invoice.updated","time":"2020-01-01T00:00:00Z","intuitentityid":"1","intuitaccountid":"2"}]',
      /\[0\]\.type must look like qbo\.<entity>\.<operation>\.v<n>/,
    ],
    [
      "CloudEvent without intuitaccountid",
      '[{"specversion":"1.0","id":"x","type":"qbo.invoice.updated.v1","time":"2020-01-01T00:00:00Z","intuitentityid":"1"}]',
      /\[0\]\.intuitaccountid is missing/,
    ],
    [
      "CloudEvent without id",
      '[{"specversion":"1.0","type":"qbo.invoice.updated.v1","time":"2020-01-01T00:00:00Z","intuitentityid":"1","intuitaccountid":"2"}]',
      /\[0\]\.id is missing/,
    ],
    ["array of non-objects", "[1,2]", /\[0\]/],
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
      expect((caught as WebhookPayloadError).code).toBe("PAYLOAD_INVALID");
      expect((caught as Error).message).toMatch(message);
    });
  }
});

describe("quickbooks parse: values at the edge of each field's rule", () => {
  const classic = (entity: Record<string, unknown>, realmId: unknown = "1") =>
    parse(JSON.stringify({ eventNotifications: [{ realmId, dataChangeEvent: { entities: [entity] } }] }));
  const entity = { name: "Invoice", id: "7", operation: "Update", lastUpdated: "2025-01-06T09:00:00Z" };

  it("classic: padded text is trimmed and exact numeric ids become text", () => {
    const [event] = classic({ ...entity, name: " Invoice ", id: 42, operation: " Update " }, 9130).events;
    expect(event).toMatchObject({ tenantId: "9130", entityType: "Invoice", entityId: "42", operation: "Update" });
  });

  it("classic: an inexact numeric realm id, an empty name or a rolled-over date is refused with its path", () => {
    // A 19-digit realm id as a JSON number: beyond 2^53, so it would silently become another realm.
    const inexact = JSON.stringify({ eventNotifications: [{ realmId: "REALM", dataChangeEvent: { entities: [entity] } }] }).replace(
      '"REALM"',
      "9130000000000000123",
    );
    expect(() => parse(inexact)).toThrow(/eventNotifications\[0\]\.realmId must be a string \(this number cannot be represented exactly\)/);
    expect(() => classic({ ...entity, name: " " })).toThrow(/entities\[0\]\.name must be a non-empty string/);
    expect(() => classic({ ...entity, lastUpdated: "2025-02-30T00:00:00Z" })).toThrow(
      /entities\[0\]\.lastUpdated is not an ISO-8601 date-time nor epoch milliseconds/,
    );
  });

  it("CloudEvents: a null time or an odd type is refused; a null data is read as none", () => {
    const cloudEvent = {
      specversion: "1.0",
      id: "e1",
      type: "qbo.customer.merged.v1",
      time: "2025-01-06T09:00:00Z",
      intuitentityid: 10,
      intuitaccountid: "9130",
      data: null,
    };
    expect(parse(JSON.stringify([cloudEvent])).events).toMatchObject([{ tenantId: "9130", entityType: "Customer", entityId: "10", operation: "Merge" }]);
    expect(() => parse(JSON.stringify([{ ...cloudEvent, time: null }]))).toThrow(/\[0\]\.time/);
    expect(() => parse(JSON.stringify([{ ...cloudEvent, type: "qbo.customer.merged" }]))).toThrow(
      /\[0\]\.type must look like qbo\.<entity>\.<operation>\.v<n>/,
    );
  });
});
