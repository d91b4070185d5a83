/**
 * The HTTP parity table: one list of requests and what every front door (Express, Fastify, the
 * Fetch handler) must answer and store for each. Each case runs against a fresh inbox.
 *
 * Routes every transport serves:
 * - `/webhooks/:integration`: one route, the integration as a path parameter;
 * - `/fixed/test`: one route per integration, for the `test` integration.
 */
import { readFileSync } from "node:fs";
import {
  MemoryStore,
  StoreError,
  createWebhookInbox,
  type DeliveryStatus,
  type Logger,
  type NewDelivery,
  type NewEvent,
  type InsertDeliveryResult,
  type WebhookProcessor,
} from "webhook-inbox";
import { quickbooks } from "webhook-inbox/quickbooks";
import { ManualClock, TEST_SIGNATURE_HEADER, signTestPayload, signXero, testProvider, testWebhook } from "webhook-inbox/testing";
import { xero } from "webhook-inbox/xero";

export const SECRET = "http-cases-secret";
/** Small, so "too large" needs only a few KiB on the wire. */
export const MAX_BODY_BYTES = 4096;

/** One request as a transport sends it. */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Send the body as a stream of 1 KiB chunks with no content-length (chunked transfer). */
  readonly chunked?: boolean;
}

/** What came back. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface HttpCase {
  readonly name: string;
  /** Requests sent first (the original of a duplicate). */
  readonly before?: readonly HttpRequest[];
  readonly request: HttpRequest;
  /** `failing`: a store whose `insertDelivery` throws `StoreError`. */
  readonly store?: "failing";
  readonly expect: {
    readonly status: number;
    /** `"empty"`, or a JSON object the body must contain. A `deliveryId` in it must name the stored delivery. */
    readonly body: "empty" | Record<string, unknown>;
    readonly headers?: Record<string, string>;
    /** The delivery this request stored (the newest one); `null`: nothing stored. */
    readonly delivery: null | {
      readonly status: DeliveryStatus;
      readonly integration?: string;
      readonly reason?: RegExp;
      /** Events stored with it. @default 0 */
      readonly events?: number;
    };
    /** Deliveries in the store after the case. */
    readonly deliveries: number;
  };
}

// ── signature vectors (byte for byte from test/fixtures/providers) ─────────────

interface Vector {
  id: string;
  provider: "quickbooks" | "xero";
  header: string;
  key: string;
  body: string;
  bodyBytes: number;
  expected: string;
  note?: string;
}

const vectors: Vector[] = JSON.parse(readFileSync(new URL("../fixtures/providers/signature-test-vectors.json", import.meta.url), "utf8")).vectors;

export function vector(id: string): Vector {
  const found = vectors.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no vector ${id}`);
  if (Buffer.byteLength(found.body) !== found.bodyBytes) throw new Error(`vector ${id}: body is not the recorded ${found.bodyBytes} bytes`);
  return found;
}

/** Integration id for a vector: one integration per vector, keyed with its key. */
const vectorIntegration = (id: string) => `vector-${id.toLowerCase()}`;

/** A request carrying a vector's body and its expected signature. */
function vectorRequest(id: string, overrides: { signature?: string; contentType?: string; body?: string; path?: string } = {}): HttpRequest {
  const v = vector(id);
  return {
    method: "POST",
    path: overrides.path ?? `/webhooks/${vectorIntegration(id)}`,
    headers: { "content-type": overrides.contentType ?? "application/json", [v.header]: overrides.signature ?? v.expected },
    body: overrides.body ?? v.body,
  };
}

/** `body` signed with a Xero vector's key, sent to that vector's integration. */
function xeroSigned(id: string, body: string): HttpRequest {
  return vectorRequest(id, { body, signature: signXero(body, vector(id).key) });
}

/**
 * A fetch standing in for Xero's API in direct mode: every `IDs=` read finds what it asks for, so a
 * direct-mode delivery is processed in the request.
 */
const xeroFindsEverything: typeof fetch = async (input) => {
  const url = new URL(String(input));
  const ids = (url.searchParams.get("IDs") ?? url.pathname.split("/").pop() ?? "").split(",");
  return new Response(JSON.stringify({ Invoices: ids.map((id) => ({ InvoiceID: id })) }), { status: 200, headers: { "content-type": "application/json" } });
};

/** XERO-1's note records the header Xero really sent with that body: a deliberately bad ITR probe. */
const xeroBadProbeSignature = /Xero sent header (\S+) for this body/.exec(vector("XERO-1").note ?? "")?.[1];
if (!xeroBadProbeSignature) throw new Error("XERO-1 note no longer names the header Xero sent");

// ── the inbox every case runs against ─────────────────────────────────────

/** The inbox warns on every rejection; the cases check the store, not the console. */
export const quietLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A store that cannot commit: the inbox must answer 503 so the provider retries. */
export class FailingStore extends MemoryStore {
  override async insertDelivery(_input: { delivery: NewDelivery; events: readonly NewEvent[] }): Promise<InsertDeliveryResult> {
    throw new StoreError("failing", "insertDelivery failed: disk full");
  }
}

const noToken = () => "unused-in-http-tests";

export function createCaseInbox(options: { store?: "failing" | undefined } = {}): WebhookProcessor {
  const integrations: Parameters<typeof createWebhookInbox>[0]["integrations"] = {
    test: { provider: testProvider({ secret: SECRET }) },
    "test-200": { provider: testProvider({ secret: SECRET }), acceptedStatus: 200 },
  };
  const xero3 = vector("XERO-3").key;
  integrations["xero-delayed"] = { provider: xero({ webhookKey: xero3, getAccessToken: noToken }), mode: "delayed" };
  integrations["xero-direct"] = { provider: xero({ webhookKey: xero3, getAccessToken: noToken, fetch: xeroFindsEverything }), mode: "direct" };
  for (const v of vectors) {
    integrations[vectorIntegration(v.id)] = {
      provider:
        v.provider === "quickbooks" ? quickbooks({ verifierToken: v.key, getAccessToken: noToken }) : xero({ webhookKey: v.key, getAccessToken: noToken }),
    };
  }
  return createWebhookInbox({
    store: options.store === "failing" ? new FailingStore() : new MemoryStore(),
    integrations,
    handler: async () => {},
    clock: new ManualClock("2030-01-01T00:00:00.000Z"),
    maxBodyBytes: MAX_BODY_BYTES,
    logger: quietLogger,
  });
}

// ── test-provider requests ────────────────────────────────────────────────

const CHANGES = [
  { tenantId: "t1", entityType: "invoice", entityId: "inv-1", occurredAt: "2030-01-01T00:00:00.000Z" },
  { tenantId: "t1", entityType: "invoice", entityId: "inv-2", occurredAt: "2030-01-01T00:00:00.000Z" },
];

function signed(path: string, id = "evt-1", headers: Record<string, string> = {}): HttpRequest {
  const webhook = testWebhook(SECRET, CHANGES, id);
  return { method: "POST", path, headers: { ...webhook.headers, ...headers }, body: webhook.body };
}

/** A signed body of `size` bytes: a valid test webhook padded with an ignored field. */
function signedOfSize(size: number): HttpRequest {
  const prefix = `{"changes":[],"padding":"`;
  const body = `${prefix}${"x".repeat(size - prefix.length - 2)}"}`;
  return {
    method: "POST",
    path: "/webhooks/test",
    headers: { "content-type": "application/json", [TEST_SIGNATURE_HEADER]: signTestPayload(body, SECRET) },
    body,
  };
}

const notJson = "this is not JSON";

export const cases: readonly HttpCase[] = [
  {
    name: "signed delivery → 202 naming the delivery, stored with its events",
    request: signed("/webhooks/test"),
    expect: {
      status: 202,
      body: { status: "accepted", events: 2 },
      headers: { "content-type": "application/json; charset=utf-8" },
      delivery: { status: "accepted", integration: "test", events: 2 },
      deliveries: 1,
    },
  },
  {
    name: "one route per integration (fixed route) → 202",
    request: signed("/fixed/test"),
    expect: { status: 202, body: { status: "accepted", events: 2 }, delivery: { status: "accepted", integration: "test", events: 2 }, deliveries: 1 },
  },
  {
    name: "content type with a charset parameter → 202",
    request: signed("/webhooks/test", "evt-1", { "content-type": "application/json; charset=utf-8" }),
    expect: { status: 202, body: { status: "accepted", events: 2 }, delivery: { status: "accepted", events: 2 }, deliveries: 1 },
  },
  {
    name: "acceptedStatus 200 → 200 with the same body",
    request: signed("/webhooks/test-200"),
    expect: { status: 200, body: { status: "accepted", events: 2 }, delivery: { status: "accepted", integration: "test-200", events: 2 }, deliveries: 1 },
  },
  {
    name: "duplicate delivery → 2xx naming the original",
    before: [signed("/webhooks/test", "evt-dup")],
    request: signed("/webhooks/test", "evt-dup"),
    expect: { status: 202, body: { status: "duplicate" }, delivery: { status: "duplicate", events: 0 }, deliveries: 2 },
  },
  {
    name: "wrong signature → 401, empty body",
    request: { ...signed("/webhooks/test"), headers: { "content-type": "application/json", [TEST_SIGNATURE_HEADER]: signTestPayload("other", SECRET) } },
    expect: { status: 401, body: "empty", delivery: { status: "rejected", reason: /signature/ }, deliveries: 1 },
  },
  {
    name: "missing signature → 401, empty body",
    request: { ...signed("/webhooks/test"), headers: { "content-type": "application/json" } },
    expect: { status: 401, body: "empty", delivery: { status: "rejected", reason: /missing/ }, deliveries: 1 },
  },
  {
    name: "body over maxBodyBytes (content-length) → 413",
    request: signedOfSize(MAX_BODY_BYTES + 1),
    expect: { status: 413, body: { error: "PAYLOAD_TOO_LARGE" }, delivery: { status: "rejected", reason: /larger than 4096 bytes/ }, deliveries: 1 },
  },
  {
    name: "body over maxBodyBytes (chunked, no content-length) → 413",
    request: { ...signedOfSize(MAX_BODY_BYTES * 3), chunked: true },
    expect: { status: 413, body: { error: "PAYLOAD_TOO_LARGE" }, delivery: { status: "rejected", reason: /larger than 4096 bytes/ }, deliveries: 1 },
  },
  {
    name: "body of exactly maxBodyBytes (chunked) → accepted",
    request: { ...signedOfSize(MAX_BODY_BYTES), chunked: true },
    expect: { status: 202, body: { status: "accepted", events: 0 }, delivery: { status: "accepted", events: 0 }, deliveries: 1 },
  },
  {
    name: "GET → 405 with Allow: POST",
    request: { method: "GET", path: "/webhooks/test" },
    expect: {
      status: 405,
      body: { error: "METHOD_NOT_ALLOWED" },
      headers: { allow: "POST" },
      delivery: { status: "rejected", reason: /method GET/ },
      deliveries: 1,
    },
  },
  {
    name: "PUT with a signed body → 405",
    request: { ...signed("/webhooks/test"), method: "PUT" },
    expect: { status: 405, body: { error: "METHOD_NOT_ALLOWED" }, delivery: { status: "rejected", reason: /method PUT/ }, deliveries: 1 },
  },
  {
    name: "text/plain → 415",
    request: signed("/webhooks/test", "evt-1", { "content-type": "text/plain" }),
    expect: { status: 415, body: { error: "UNSUPPORTED_MEDIA_TYPE" }, delivery: { status: "rejected", reason: /text\/plain/ }, deliveries: 1 },
  },
  {
    name: "no content type at all → 415",
    request: { ...signed("/webhooks/test"), headers: { [TEST_SIGNATURE_HEADER]: signed("/webhooks/test").headers![TEST_SIGNATURE_HEADER]! } },
    expect: { status: 415, body: { error: "UNSUPPORTED_MEDIA_TYPE" }, delivery: { status: "rejected", reason: /\(none\)/ }, deliveries: 1 },
  },
  {
    name: "store cannot commit → 503 with Retry-After",
    store: "failing",
    request: signed("/webhooks/test"),
    expect: { status: 503, body: { error: "STORE_FAILED" }, headers: { "retry-after": "5" }, delivery: null, deliveries: 0 },
  },
  {
    name: "signed but unparseable → 2xx, stored whole as unparseable",
    request: {
      method: "POST",
      path: "/webhooks/test",
      headers: { "content-type": "application/json", [TEST_SIGNATURE_HEADER]: signTestPayload(notJson, SECRET) },
      body: notJson,
    },
    expect: { status: 202, body: { status: "unparseable" }, delivery: { status: "unparseable", reason: /not JSON/ }, deliveries: 1 },
  },
  {
    name: "unknown integration in the path → 404",
    request: signed("/webhooks/nope"),
    expect: {
      status: 404,
      body: { error: "INTEGRATION_UNKNOWN" },
      delivery: { status: "rejected", integration: "nope", reason: /unknown integration/ },
      deliveries: 1,
    },
  },
  // ── the real providers, signed with the fixtures' vectors ───────────────
  {
    name: 'QuickBooks classic (QBO-1, pretty-printed bytes) → 200, Intuit\'s "HTTP 200"',
    request: vectorRequest("QBO-1"),
    expect: { status: 200, body: { status: "accepted", events: 1 }, delivery: { status: "accepted", integration: "vector-qbo-1", events: 1 }, deliveries: 1 },
  },
  {
    name: "QuickBooks classic compact (QBO-2) → 200",
    request: vectorRequest("QBO-2"),
    expect: { status: 200, body: { status: "accepted", events: 1 }, delivery: { status: "accepted", events: 1 }, deliveries: 1 },
  },
  {
    name: "QuickBooks: QBO-1's signature on the re-serialised body → 401 (pitfall 1)",
    request: vectorRequest("QBO-2", { signature: vector("QBO-1").expected }),
    expect: { status: 401, body: "empty", delivery: { status: "rejected", reason: /signature|match/i }, deliveries: 1 },
  },
  {
    name: "QuickBooks CloudEvents as application/cloudevents+json (QBO-3) → 200",
    request: vectorRequest("QBO-3", { contentType: "application/cloudevents+json" }),
    expect: { status: 200, body: { status: "accepted", events: 1 }, delivery: { status: "accepted", events: 1 }, deliveries: 1 },
  },
  {
    name: "QuickBooks CloudEvents compact as application/json (QBO-4) → 200",
    request: vectorRequest("QBO-4"),
    expect: { status: 200, body: { status: "accepted", events: 1 }, delivery: { status: "accepted", events: 1 }, deliveries: 1 },
  },
  {
    name: "QuickBooks CloudEvents merge (QBO-5) → 200, the survivor and the merged-away entity",
    request: vectorRequest("QBO-5"),
    expect: { status: 200, body: { status: "accepted", events: 2 }, delivery: { status: "accepted", events: 2 }, deliveries: 1 },
  },
  {
    name: "Xero intent to receive, correctly signed (XERO-2) → 200, empty body",
    request: vectorRequest("XERO-2"),
    expect: { status: 200, body: "empty", delivery: { status: "accepted", reason: /handshake/ }, deliveries: 1 },
  },
  {
    name: "Xero intent to receive, the bad probe Xero really sent (XERO-1) → 401, empty body",
    request: vectorRequest("XERO-1", { signature: xeroBadProbeSignature }),
    expect: { status: 401, body: "empty", delivery: { status: "rejected" }, deliveries: 1 },
  },
  {
    name: "Xero: the re-serialised body's signature (XERO-2R) on the genuine body → 401 (pitfall 1)",
    request: vectorRequest("XERO-2", { signature: vector("XERO-2R").expected }),
    expect: { status: 401, body: "empty", delivery: { status: "rejected" }, deliveries: 1 },
  },
  {
    name: "Xero two events on the wire (XERO-3), immediate mode → 200, empty body, no cookie; both events stored",
    request: vectorRequest("XERO-3"),
    expect: { status: 200, body: "empty", delivery: { status: "accepted", integration: "vector-xero-3", events: 2 }, deliveries: 1 },
  },
  {
    name: "Xero pretty-printed event (XERO-4) → 200, empty body",
    request: vectorRequest("XERO-4"),
    expect: { status: 200, body: "empty", delivery: { status: "accepted", events: 1 }, deliveries: 1 },
  },
  {
    name: "Xero events, delayed mode → 200, empty body",
    request: vectorRequest("XERO-3", { path: "/webhooks/xero-delayed" }),
    expect: { status: 200, body: "empty", delivery: { status: "accepted", integration: "xero-delayed", events: 2 }, deliveries: 1 },
  },
  {
    name: "Xero events, direct mode (processed in the request) → 200, empty body",
    request: vectorRequest("XERO-3", { path: "/webhooks/xero-direct" }),
    expect: { status: 200, body: "empty", delivery: { status: "processed", integration: "xero-direct" }, deliveries: 1 },
  },
  {
    name: "Xero redelivery → 200, empty body (a duplicate is answered as Xero requires too)",
    before: [vectorRequest("XERO-3")],
    request: vectorRequest("XERO-3"),
    expect: { status: 200, body: "empty", delivery: { status: "duplicate", events: 0 }, deliveries: 2 },
  },
  {
    name: "Xero: correctly signed but unparseable → 200, empty body, stored whole",
    request: xeroSigned("XERO-3", '{"events":"not a list"}'),
    expect: { status: 200, body: "empty", delivery: { status: "unparseable", reason: /events/ }, deliveries: 1 },
  },
  {
    name: "QuickBooks redelivery → 200 naming the original",
    before: [vectorRequest("QBO-2")],
    request: vectorRequest("QBO-2"),
    expect: { status: 200, body: { status: "duplicate" }, delivery: { status: "duplicate", events: 0 }, deliveries: 2 },
  },
];
