/**
 * Hostile input, property-based (fast-check): random methods, headers, content types, encodings and
 * bodies thrown at `receive()` for every provider, and random structures thrown at each provider's
 * parser. Nothing crashes; nothing simply bad gets a 5xx; nothing unsigned or wrongly signed is
 * processed (401); nothing is half-stored; replays are de-duplicated.
 */
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { MemoryStore, type ProviderAdapter, type WebhookProcessor, createWebhookInbox, isWebhookInboxError } from "webhook-inbox";
import { quickbooks } from "webhook-inbox/quickbooks";
import { signQuickBooks, signXero } from "webhook-inbox/testing";
import { xero } from "webhook-inbox/xero";
import { capturingLogger } from "../reliability/support.ts";

const VERIFIER = "hostile-qbo-verifier-token";
const XERO_KEY = "hostile-xero-webhook-key";
const RUNS = Number(process.env.FC_RUNS ?? 150);

interface Target {
  readonly integration: string;
  readonly provider: "quickbooks" | "xero";
  readonly signatureHeader: string;
  sign(body: Uint8Array): string;
}

const TARGETS: readonly Target[] = [
  { integration: "qbo", provider: "quickbooks", signatureHeader: "intuit-signature", sign: (body) => signQuickBooks(body, VERIFIER) },
  { integration: "qbo-direct", provider: "quickbooks", signatureHeader: "intuit-signature", sign: (body) => signQuickBooks(body, VERIFIER) },
  { integration: "xero", provider: "xero", signatureHeader: "x-xero-signature", sign: (body) => signXero(body, XERO_KEY) },
  { integration: "xero-direct", provider: "xero", signatureHeader: "x-xero-signature", sign: (body) => signXero(body, XERO_KEY) },
];

const RESERVED = new Set(["content-type", "intuit-signature", "x-xero-signature"]);

function providers(onToken: () => void) {
  const getAccessToken = () => {
    onToken();
    return "access-token-never-used";
  };
  // Port 9 (discard) on loopback: nothing listens, any fetch fails at once.
  const qbo = quickbooks({ verifierToken: VERIFIER, getAccessToken, baseUrl: "http://127.0.0.1:9", requestTimeoutMs: 500 });
  const xro = xero({ webhookKey: XERO_KEY, getAccessToken, baseUrl: "http://127.0.0.1:9/api.xro/2.0", requestTimeoutMs: 500 });
  return { qbo, xro };
}

function setup() {
  let handlerCalls = 0;
  let tokenCalls = 0;
  const store = new MemoryStore();
  const { qbo, xro } = providers(() => (tokenCalls += 1));
  const log = capturingLogger();
  const inbox = createWebhookInbox({
    store,
    integrations: {
      qbo: { provider: qbo, mode: "immediate" },
      "qbo-direct": { provider: qbo, mode: "direct" },
      xero: { provider: xro, mode: "immediate" },
      "xero-direct": { provider: xro, mode: "direct" },
    },
    handler: () => {
      handlerCalls += 1;
    },
    maxBodyBytes: 4_096,
    fetchTimeoutMs: 500,
    logger: log.logger,
  });
  return { inbox, store, log, counts: () => ({ handlerCalls, tokenCalls }) };
}

const utf8 = (text: string) => new TextEncoder().encode(text);

// ── arbitraries ──────────────────────────────────────────────────────────────

const methodArb = fc.oneof(
  fc.constantFrom("POST", "post", "PoSt", "GET", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE", "CONNECT", ""),
  fc.string({ maxLength: 12 }),
);

const contentTypeArb = fc.option(
  fc.oneof(
    fc.constantFrom(
      "application/json",
      "application/json; charset=utf-8",
      "APPLICATION/JSON",
      " application/json ;charset=latin1",
      "application/cloudevents+json",
      "application/cloudevents-batch+json",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=----x",
      "application/xml",
      "",
      ";",
    ),
    fc.string({ maxLength: 40 }),
  ),
  { nil: undefined },
);

const headerValueArb = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
);
const extraHeadersArb = fc
  .dictionary(fc.string({ minLength: 1, maxLength: 24 }), headerValueArb, { maxKeys: 8 })
  .map((headers) => Object.fromEntries(Object.entries(headers).filter(([name]) => !RESERVED.has(name.toLowerCase()))));

const jsonTextArb = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? "null"),
);

const bodyArb = fc.oneof(
  fc.uint8Array({ maxLength: 1_024 }),
  jsonTextArb.map(utf8),
  fc.string({ unit: "binary", maxLength: 300 }).map(utf8),
  // Same JSON in other encodings: UTF-16 with BOM, Latin-1, UTF-8 with BOM.
  jsonTextArb.map((text) => new Uint8Array(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]))),
  jsonTextArb.map((text) => new Uint8Array(Buffer.from(text, "latin1"))),
  jsonTextArb.map((text) => new Uint8Array(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]))),
);

const signatureArb = fc.option(
  fc.oneof(
    fc.base64String({ minLength: 44, maxLength: 44 }),
    fc.base64String({ maxLength: 80 }),
    fc.string({ maxLength: 60 }),
    fc.constantFrom("", " ", "=", "sha256=", "null", "undefined"),
  ),
  { nil: undefined },
);

/** Anything where a value is expected: the right kind most of the time, junk otherwise. */
const junk = fc.jsonValue({ maxDepth: 2 });
const maybe = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: junk });
const timeArb = fc.oneof(
  fc.date({ noInvalidDate: true, min: new Date("1000-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z") }).map((d) => d.toISOString()),
  fc.constantFrom(
    "2024-02-30T00:00:00Z",
    "2024-13-01T00:00:00Z",
    "2024-06-21T01:15:39.902",
    "2025-09-10T21:31:25.179851517Z",
    "2015-10-05T14:42:19-0700",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59+99:99",
    "0100-01-01T00:00:00-14:00",
    "2024-01-01T24:00:00Z",
    "",
  ),
  fc.string({ maxLength: 30 }),
);
const idArb = fc.oneof(fc.integer({ min: 0, max: 10_000 }).map(String), fc.uuid(), fc.string({ maxLength: 70 }), fc.integer(), fc.double());
const entityArb = fc.oneof(fc.constantFrom("Invoice", "invoice", "Customer", "Bill", "JournalEntry", "Preferences"), fc.string({ maxLength: 20 }));
const opArb = fc.oneof(
  fc.constantFrom("Create", "Update", "Delete", "Merge", "Void", "Emailed", "created", "updated", "deleted", "merged"),
  fc.string({ maxLength: 12 }),
);

const classicArb = fc.record({
  eventNotifications: maybe(
    fc.array(
      fc.record({
        realmId: maybe(idArb),
        dataChangeEvent: maybe(
          fc.record({
            entities: maybe(
              fc.array(
                fc.record(
                  { name: maybe(entityArb), id: maybe(idArb), operation: maybe(opArb), lastUpdated: maybe(timeArb), deletedId: maybe(idArb) },
                  { requiredKeys: ["name", "id", "operation", "lastUpdated"] },
                ),
                { maxLength: 4 },
              ),
            ),
          }),
        ),
      }),
      { maxLength: 3 },
    ),
  ),
});

const cloudEventArb = fc.record(
  {
    specversion: maybe(fc.constant("1.0")),
    id: maybe(fc.oneof(fc.uuid(), fc.string({ maxLength: 10 }))),
    source: maybe(fc.constant("intuit")),
    type: maybe(
      fc.oneof(
        fc.tuple(entityArb, opArb, fc.nat(3)).map(([entity, op, version]) => `qbo.${entity.toLowerCase()}.${op.toLowerCase()}.v${version}`),
        fc.string({ maxLength: 30 }),
      ),
    ),
    time: maybe(timeArb),
    intuitentityid: maybe(idArb),
    intuitaccountid: maybe(idArb),
    data: maybe(fc.record({ deletedid: maybe(idArb) }, { requiredKeys: [] })),
  },
  { requiredKeys: ["specversion", "id", "type", "time", "intuitentityid", "intuitaccountid"] },
);
const cloudEventsArb = fc.oneof(fc.array(cloudEventArb, { maxLength: 4 }), cloudEventArb);

const xeroArb = fc.record(
  {
    events: maybe(
      fc.array(
        fc.record(
          {
            resourceUrl: maybe(fc.webUrl()),
            resourceId: maybe(fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }))),
            eventDateUtc: maybe(timeArb),
            eventType: maybe(fc.constantFrom("CREATE", "UPDATE", "Update", "DELETE", "")),
            eventCategory: maybe(fc.constantFrom("INVOICE", "CONTACT", "CREDITNOTE", "subscription", "")),
            tenantId: maybe(fc.oneof(fc.uuid(), fc.string({ maxLength: 20 }))),
            tenantType: maybe(fc.constant("ORGANISATION")),
          },
          { requiredKeys: ["resourceId", "eventDateUtc", "eventType", "eventCategory", "tenantId"] },
        ),
        { maxLength: 4 },
      ),
    ),
    firstEventSequence: maybe(fc.integer()),
    lastEventSequence: maybe(fc.integer()),
    entropy: maybe(fc.string({ maxLength: 20 })),
  },
  { requiredKeys: ["events"] },
);

/** Structured bodies for a provider, serialised, sometimes with odd whitespace. */
function structuredBody(provider: "quickbooks" | "xero"): fc.Arbitrary<Uint8Array> {
  const value = provider === "quickbooks" ? fc.oneof(classicArb, cloudEventsArb) : xeroArb;
  return fc.tuple(value, fc.constantFrom(undefined, 2, "\t")).map(([body, space]) => utf8(JSON.stringify(body, null, space)));
}

// ── checks ───────────────────────────────────────────────────────────────────

/** Every stored delivery is whole: its events are all there, and the raw bytes kept exactly. */
async function expectNoHalfDeliveries(inbox: WebhookProcessor, sent: Map<string, Uint8Array>) {
  const deliveries = await inbox.listDeliveries({ limit: 500 });
  for (const summary of deliveries.items) {
    const events = await inbox.listEvents({ deliveryId: summary.id, limit: 500 });
    expect(events.items.length, `delivery ${summary.id} (${summary.status})`).toBe(summary.eventCount);
    if (summary.status === "rejected" || summary.status === "unparseable" || summary.status === "duplicate") expect(events.items).toHaveLength(0);
    const full = await inbox.getDelivery(summary.id);
    const original = sent.get(summary.id);
    if (original) expect(Buffer.from(full!.rawBody).equals(Buffer.from(original))).toBe(true);
  }
}

function deliveryIdOf(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { deliveryId?: string }).deliveryId;
  } catch {
    return undefined;
  }
}

describe("receive(): hostile requests", () => {
  let env: ReturnType<typeof setup>;
  beforeEach(() => {
    env = setup();
  });

  it("random unsigned or wrongly signed requests never crash, never 5xx, are never processed (401 when well-formed)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TARGETS),
        methodArb,
        contentTypeArb,
        extraHeadersArb,
        bodyArb,
        signatureArb,
        async (target, method, contentType, extra, body, signature) => {
          // A random signature matching the body is impossible in practice; make sure of it.
          fc.pre(signature === undefined || signature.trim() !== target.sign(body));
          const headers: Record<string, string | string[]> = { ...extra };
          if (contentType !== undefined) headers["content-type"] = contentType;
          if (signature !== undefined) headers[target.signatureHeader] = signature;
          const answer = await env.inbox.receive({ integration: target.integration, rawBody: body, headers, method });
          expect([401, 405, 413, 415]).toContain(answer.status);
          const mediaType = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
          const acceptedType = target.provider === "quickbooks" ? ["application/json", "application/cloudevents+json"] : ["application/json"];
          if (method.toUpperCase() === "POST" && body.byteLength <= 4_096 && acceptedType.includes(mediaType)) expect(answer.status).toBe(401);
          if (answer.status === 401) expect(answer.body).toBe("");
        },
      ),
      { numRuns: RUNS * 2 },
    );
    expect(env.counts()).toEqual({ handlerCalls: 0, tokenCalls: 0 });
    expect(await env.inbox.countEvents({})).toEqual([]);
    const deliveries = await env.inbox.listDeliveries({ limit: 500 });
    expect(deliveries.items.every((delivery) => delivery.status === "rejected" && delivery.eventCount === 0)).toBe(true);
    expect(deliveries.items.every((delivery) => delivery.reason !== null)).toBe(true);
  });

  it("a valid webhook whose signature is off by anything (other key, other body, one flipped byte, other header) is 401 and never processed", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TARGETS),
        structuredBody("quickbooks"),
        structuredBody("xero"),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.nat(4),
        async (target, qboBody, xeroBody, position, flip, variant) => {
          const body = target.provider === "quickbooks" ? qboBody : xeroBody;
          fc.pre(body.byteLength > 0);
          const good = target.sign(body);
          const tampered = new Uint8Array(body);
          tampered[position % tampered.length] = (tampered[position % tampered.length] ?? 0) ^ flip;
          const other = target.provider === "quickbooks" ? signXero(body, XERO_KEY) : signQuickBooks(body, VERIFIER);
          const cases: { rawBody: Uint8Array; headers: Record<string, string> }[] = [
            {
              rawBody: body,
              headers: { [target.signatureHeader]: target.provider === "quickbooks" ? signQuickBooks(body, `${VERIFIER}x`) : signXero(body, `${XERO_KEY}x`) },
            },
            { rawBody: tampered, headers: { [target.signatureHeader]: good } },
            { rawBody: body, headers: { [target.signatureHeader]: other } },
            { rawBody: body, headers: { [target.provider === "quickbooks" ? "x-xero-signature" : "intuit-signature"]: good } },
            { rawBody: body, headers: { [target.signatureHeader]: `${good.slice(0, -2)}==` } },
          ];
          const chosen = cases[variant]!;
          fc.pre(chosen.headers[target.signatureHeader] !== good || chosen.rawBody !== body);
          const answer = await env.inbox.receive({
            integration: target.integration,
            rawBody: chosen.rawBody,
            headers: { "content-type": "application/json", ...chosen.headers },
          });
          expect(answer.status).toBe(401);
        },
      ),
      { numRuns: RUNS },
    );
    expect(env.counts()).toEqual({ handlerCalls: 0, tokenCalls: 0 });
    expect(await env.inbox.countEvents({})).toEqual([]);
  });

  it("signed but simply bad bodies (random bytes, encodings, structures) are acknowledged or stored whole, never 5xx, never half-stored", async () => {
    const sent = new Map<string, Uint8Array>();
    const immediate = TARGETS.filter((target) => !target.integration.endsWith("direct"));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...immediate),
        fc.oneof(bodyArb, structuredBody("quickbooks"), structuredBody("xero")),
        fc.constantFrom("application/json", "application/json; charset=utf-8", "APPLICATION/JSON"),
        async (target, body, contentType) => {
          fc.pre(body.byteLength <= 4_096);
          const answer = await env.inbox.receive({
            integration: target.integration,
            rawBody: body,
            headers: { "content-type": contentType, [target.signatureHeader]: target.sign(body) },
          });
          expect(answer.status, answer.body).toBeLessThan(300);
          expect(answer.status).toBeGreaterThanOrEqual(200);
          const id = deliveryIdOf(answer.body);
          if (id) sent.set(id, body);
        },
      ),
      { numRuns: RUNS * 2 },
    );
    await expectNoHalfDeliveries(env.inbox, sent);
    // Deferred modes: nothing ran in the request.
    expect(env.counts()).toEqual({ handlerCalls: 0, tokenCalls: 0 });
  });

  it("oversized bodies are 413 (whatever the signature), and never stored as more than a rejection", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...TARGETS), fc.integer({ min: 4_097, max: 20_000 }), fc.boolean(), async (target, size, truncated) => {
        const body = new Uint8Array(truncated ? 10 : size).fill(0x7b);
        const answer = await env.inbox.receive({
          integration: target.integration,
          rawBody: body,
          truncated,
          headers: { "content-type": "application/json", [target.signatureHeader]: target.sign(body) },
        });
        expect(answer.status).toBe(413);
      }),
      { numRuns: 30 },
    );
    const deliveries = await env.inbox.listDeliveries({ limit: 500 });
    expect(deliveries.items.every((delivery) => delivery.status === "rejected")).toBe(true);
  });

  it("unknown integrations and odd integration ids are 404, never a crash", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40 }), bodyArb, async (integration, body) => {
        fc.pre(!TARGETS.some((target) => target.integration === integration));
        const answer = await env.inbox.receive({ integration, rawBody: body, headers: { "content-type": "application/json" } });
        expect(answer.status).toBe(404);
      }),
      { numRuns: RUNS },
    );
    for (const integration of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      const answer = await env.inbox.receive({ integration, rawBody: utf8("{}"), headers: { "content-type": "application/json" } });
      expect(answer.status, integration).toBe(404);
    }
  });

  it("malformed receive() input from a careless adapter (missing headers, null body, Headers object) still gets an answer", async () => {
    const cases: unknown[] = [
      { integration: "qbo" },
      { integration: "qbo", rawBody: null, headers: null },
      { integration: "qbo", rawBody: utf8("{}"), headers: new Headers({ "Content-Type": "application/json", "Intuit-Signature": "x" }) },
      { integration: "xero", rawBody: utf8("{}"), headers: { "content-type": ["application/json", "text/plain"] } },
      { integration: 42, rawBody: utf8("{}"), headers: {} },
    ];
    for (const input of cases) {
      const answer = await env.inbox.receive(input as never);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
    }
  });
});

describe("provider parsers: random structures", () => {
  const { qbo, xro } = providers(() => {});
  let parsedOk = 0;
  const check = (provider: ProviderAdapter, body: Uint8Array, prefix: string) => {
    let parsed: ReturnType<ProviderAdapter["parse"]>;
    try {
      parsed = provider.parse({ rawBody: body, headers: { "content-type": "application/json" } });
    } catch (error) {
      // The only failure a parser may have is a WebhookPayloadError naming what is wrong.
      expect(isWebhookInboxError(error) && error.code === "PAYLOAD_INVALID", String(error)).toBe(true);
      expect((error as Error).message.length).toBeGreaterThan(0);
      return;
    }
    expect(parsed.dedupeKey.startsWith(prefix)).toBe(true);
    for (const event of parsed.events) {
      for (const field of [event.tenantId, event.entityType, event.entityId, event.operation]) {
        expect(typeof field).toBe("string");
        expect(field.trim()).not.toBe("");
      }
      expect(event.occurredAt).toBeInstanceOf(Date);
      expect(Number.isNaN(event.occurredAt.getTime())).toBe(false);
      expect(typeof event.deleted).toBe("boolean");
      expect(() => JSON.stringify(event.payload)).not.toThrow();
    }
    parsedOk += 1;
  };

  it("QuickBooks parse (classic + CloudEvents) returns well-formed events or throws WebhookPayloadError", () => {
    parsedOk = 0;
    fc.assert(
      fc.property(fc.oneof(structuredBody("quickbooks"), bodyArb), (body) => check(qbo, body, "quickbooks:")),
      { numRuns: RUNS * 4 },
    );
    // The generators must reach the parser's success path too, or the property proves little.
    expect(parsedOk).toBeGreaterThan(0);
  });

  it("Xero parse returns well-formed events (or the handshake) or throws WebhookPayloadError", () => {
    parsedOk = 0;
    fc.assert(
      fc.property(fc.oneof(structuredBody("xero"), bodyArb), (body) => check(xro, body, "xero:")),
      { numRuns: RUNS * 4 },
    );
    expect(parsedOk).toBeGreaterThan(0);
  });

  it("the same QuickBooks/Xero changes in another order or spacing get the same dedupe key", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 999 }), fc.date({ noInvalidDate: true, min: new Date("2000-01-01"), max: new Date("2100-01-01") })), {
          minLength: 1,
          maxLength: 5,
        }),
        (changes) => {
          const entities = changes.map(([id, at]) => ({ name: "Invoice", id: String(id), operation: "Update", lastUpdated: at.toISOString() }));
          const a = utf8(JSON.stringify({ eventNotifications: [{ realmId: "1", dataChangeEvent: { entities } }] }));
          const b = utf8(JSON.stringify({ eventNotifications: [{ realmId: "1", dataChangeEvent: { entities: [...entities].reverse() } }] }, null, 2));
          expect(qbo.parse({ rawBody: a, headers: {} }).dedupeKey).toBe(qbo.parse({ rawBody: b, headers: {} }).dedupeKey);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
