import { once } from "node:events";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { type DeliverySummary, type EventSummary, MemoryStore, type ProviderAdapter, createWebhookInbox } from "webhook-inbox";
import { createExpressAdmin, type ExpressAdminAuthorize } from "webhook-inbox/express";
import { ManualClock, TestApi, type TestChange, signTestPayload, testProvider, testWebhook } from "webhook-inbox/testing";

export const BOOKS_SECRET = "books-secret";
export const LEDGER_SECRET = "ledger-secret";
export const XSS = "<img src=x onerror=window.__xss=1>";
export const RETRY_DELAY_MS = 60_000;

/** Who the test caller is: sent as `x-role`, read by `roleAuthorize`. */
export type Role = "admin" | "ops" | "acme" | "nobody";

/** A host's authorize hook: admins see all ("ops" is a named one), "acme" staff see tenant acme only, anyone else is refused. */
export const roleAuthorize: ExpressAdminAuthorize = (request) => {
  const role = request.headers.get("x-role");
  if (role === "admin") return true;
  if (role === "ops") return { actor: "ops@example.com" };
  if (role === "acme") return { tenants: ["acme"] };
  return false;
};

/**
 * A real inbox with real events, built by receiving signed webhooks and draining with a manual clock:
 * succeeded, failed (3 attempts), retrying, stale and queued events; accepted, unparseable (one of
 * them not UTF-8) and rejected deliveries; and one event whose entity id and data are an XSS probe.
 */
export async function buildScenario() {
  const clock = new ManualClock("2030-01-01T00:00:00.000Z");
  const store = new MemoryStore();
  const booksApi = new TestApi();
  const ledgerApi = new TestApi();
  /** Entity ids the handler refuses (remove one to let a retry succeed). */
  const failing = new Set<string>(["inv-2", "inv-3"]);
  /** Flip to let the books provider read the `changez` typo: the "cause is fixed" for a re-process. */
  const parser = { lenient: false };

  const books = testProvider({ secret: BOOKS_SECRET, api: booksApi, name: "test" });
  const lenientBooks: ProviderAdapter = {
    ...books,
    parse(request) {
      if (!parser.lenient) return books.parse(request);
      const fixed = Buffer.from(Buffer.from(request.rawBody).toString("utf8").replace('"changez"', '"changes"'));
      return books.parse({ ...request, rawBody: fixed });
    },
  };
  const ledger = testProvider({ secret: LEDGER_SECRET, api: ledgerApi, name: "ledger" });
  const inbox = createWebhookInbox({
    store,
    clock,
    integrations: { books: { provider: lenientBooks, mode: "immediate" }, ledger: { provider: ledger, mode: "immediate" } },
    handler: async (event) => {
      if (failing.has(event.entityId)) throw new Error(`handler refused ${event.entityId}`);
    },
    maxAttempts: 3,
    retryDelay: () => RETRY_DELAY_MS,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });

  const at = (seconds: number) => new Date(Date.UTC(2029, 11, 31, 23, 0, seconds)).toISOString();
  const change = (tenantId: string, entityType: string, entityId: string, seconds: number, extra: Partial<TestChange> = {}): TestChange => ({
    tenantId,
    entityType,
    entityId,
    occurredAt: at(seconds),
    operation: "Update",
    ...extra,
  });
  const send = async (integration: "books" | "ledger", changes: TestChange[], extraHeaders: Record<string, string> = {}) => {
    const { body, headers } = testWebhook(integration === "books" ? BOOKS_SECRET : LEDGER_SECRET, changes);
    const result = await inbox.receive({ integration, rawBody: Buffer.from(body), headers: { ...headers, ...extraHeaders } });
    if (result.status !== 202) throw new Error(`scenario webhook answered ${result.status}: ${result.body}`);
    return { body, result };
  };
  const sendRaw = (integration: "books" | "ledger", rawBody: Uint8Array, signed = true) =>
    inbox.receive({
      integration,
      rawBody,
      headers: {
        "content-type": "application/json",
        "x-test-signature": signed ? signTestPayload(rawBody, integration === "books" ? BOOKS_SECRET : LEDGER_SECRET) : "bm9wZQ==",
      },
    });

  booksApi.set("acme", "Invoice", "inv-1", { Id: "inv-1", TotalAmt: 120.5, CustomerRef: { name: "Acme Corp" } });
  booksApi.set("acme", "Invoice", "inv-2", { Id: "inv-2", TotalAmt: 99 });
  booksApi.set("acme", "Invoice", "inv-3", { Id: "inv-3", TotalAmt: 12 });
  booksApi.set("globex", "Invoice", "inv-9", { Id: "inv-9", TotalAmt: 5000 });
  booksApi.set("acme", "Customer", "cus-5", { Id: "cus-5", DisplayName: "Wile E." });
  booksApi.set("acme", "Invoice", XSS, { Id: XSS, Memo: XSS });
  ledgerApi.set("globex", "Bill", "bill-1", { Id: "bill-1", Amount: 10 });
  ledgerApi.set("globex", "Bill", "bill-2", { Id: "bill-2", Amount: 20 });

  // 1. One delivery naming two tenants, one on the ledger: inv-1, inv-9, bill-1 succeed; inv-2 fails thrice.
  const first = await send("books", [change("acme", "Invoice", "inv-1", 1), change("acme", "Invoice", "inv-2", 2), change("globex", "Invoice", "inv-9", 3)], {
    authorization: "Bearer must-not-be-shown",
  });
  await send("ledger", [change("globex", "Bill", "bill-1", 4)]);
  await inbox.drain();
  for (let attempt = 2; attempt <= 3; attempt++) {
    clock.advance(RETRY_DELAY_MS);
    await inbox.drain();
  }
  clock.advance(1_000);
  // 2. A newer change of cus-5 is applied, then an older one arrives late: stale.
  await send("books", [change("acme", "Customer", "cus-5", 20)]);
  await inbox.drain();
  clock.advance(1_000);
  await send("books", [change("acme", "Customer", "cus-5", 10)]);
  await inbox.drain();
  clock.advance(1_000);
  // 3. The XSS probe: entity id and downloaded data are markup.
  await send("books", [change("acme", "Invoice", XSS, 30, { operation: "Create" })]);
  await inbox.drain();
  clock.advance(1_000);
  // 4. inv-3 fails once and waits for its second attempt: retrying.
  await send("books", [change("acme", "Invoice", "inv-3", 40)]);
  await inbox.drain();
  clock.advance(1_000);
  // 5. Requests that carry no events: signed but unreadable, not UTF-8, and a bad signature.
  const typo = Buffer.from(JSON.stringify({ changez: [change("acme", "Invoice", "inv-7", 50)] }));
  booksApi.set("acme", "Invoice", "inv-7", { Id: "inv-7" });
  const unparseable = await sendRaw("books", typo);
  clock.advance(1_000);
  const binary = await sendRaw("books", Uint8Array.from([0xff, 0xfe, 0x00, 0x7b, 0x80]));
  clock.advance(1_000);
  const rejected = await sendRaw("ledger", Buffer.from(JSON.stringify({ changes: [] })), false);
  clock.advance(1_000);
  // 6. Received, not processed yet: queued.
  await send("ledger", [change("globex", "Bill", "bill-2", 60)]);

  const events = async () => (await inbox.listEvents({ limit: 500 })).items;
  const deliveries = async () => (await inbox.listDeliveries({ limit: 500 })).items;
  const eventOf = async (entityId: string, status?: string): Promise<EventSummary> => {
    const found = (await events()).find((event) => event.entityId === entityId && (status === undefined || event.status === status));
    if (!found) throw new Error(`no event for ${entityId}`);
    return found;
  };
  const deliveryWhere = async (predicate: (delivery: DeliverySummary) => boolean): Promise<DeliverySummary> => {
    const found = (await deliveries()).find(predicate);
    if (!found) throw new Error("no such delivery");
    return found;
  };
  return {
    inbox,
    store,
    clock,
    booksApi,
    ledgerApi,
    failing,
    parser,
    events,
    deliveries,
    eventOf,
    deliveryWhere,
    firstBody: first.body,
    unparseableId: JSON.parse(unparseable.body).deliveryId as string,
    binaryId: JSON.parse(binary.body).deliveryId as string,
    rejectedStatus: rejected.status,
  };
}

export type Scenario = Awaited<ReturnType<typeof buildScenario>>;

/** An Express app on 127.0.0.1:0 with the admin at `/admin`, behind `roleAuthorize`. */
export async function startExpressAdmin(scenario: Scenario, authorize: ExpressAdminAuthorize = roleAuthorize) {
  const app = express();
  app.use("/admin", createExpressAdmin(scenario.inbox, { authorize }));
  const server: Server = createServer(app);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    base: `${origin}/admin`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A `direct` delivery of the books integration left without a recorded outcome, as a process that dies
 * mid-handler leaves it: the integration is switched to `direct` and the write of the outcome fails
 * (the store answers it with an error, as a dead process never makes it), so the delivery stays
 * `accepted` with no answer and no events. Returns the signed request (to resend it) and the delivery id.
 */
export async function orphanDirectDelivery(scenario: Scenario, entityId: string) {
  await scenario.inbox.setMode("books", "direct");
  scenario.booksApi.set("acme", "Invoice", entityId, { Id: entityId, TotalAmt: 1 });
  const request = testWebhook(BOOKS_SECRET, [{ tenantId: "acme", entityType: "Invoice", entityId, occurredAt: "2029-12-31T23:59:00.000Z" }]);
  const store = scenario.store as { updateDelivery: MemoryStore["updateDelivery"] };
  store.updateDelivery = () => Promise.reject(new Error("the process died before recording the outcome"));
  try {
    await scenario.inbox.receive({ integration: "books", rawBody: Buffer.from(request.body), headers: request.headers });
  } finally {
    delete (store as { updateDelivery?: unknown }).updateDelivery; // the prototype's method again
  }
  const orphan = await scenario.deliveryWhere((delivery) => delivery.status === "accepted" && delivery.response === null && delivery.eventCount === 0);
  return { request, deliveryId: orphan.id };
}
