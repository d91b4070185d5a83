/**
 * Provider faults over real HTTP on loopback: the QuickBooks and Xero fakes, with a fault proxy in
 * front for resets and stalls. Every fault must end in the right event outcome, with the attempt
 * recorded, and every event must reach a final status once the fault is gone.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type EventDetails, type InboxEvent, MemoryStore, type ProviderAdapter, type WebhookProcessor, createWebhookInbox } from "webhook-inbox";
import { quickbooks } from "webhook-inbox/quickbooks";
import {
  ManualClock,
  type FakeQuickBooks,
  type FakeXero,
  quickBooksClassicPayload,
  startFakeQuickBooks,
  startFakeXero,
  xeroPayload,
} from "webhook-inbox/testing";
import { xero } from "webhook-inbox/xero";
import { recordLifecycle, silentLogger, startFaultProxy } from "./support.ts";

const VERIFIER = "qbo-verifier-token-reliability";
const XERO_KEY = "xero-webhook-key-reliability";
const REALM = "9130350000000001";
const XERO_TENANT = "0a1b2c3d-0000-4000-8000-000000000001";
const XERO_IDS = ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222", "33333333-3333-4333-8333-333333333333"];
const QBO_IDS = ["101", "102", "103"];
const FETCH_TIMEOUT_MS = 400;
const RETRY_MS = 1_000;

interface Fake {
  readonly url: string;
  failNextRequest(answer: { status: number; body?: string; contentType?: string; count?: number }): void;
  setTokenValidator(isTokenValid: (token: string, tenant: string) => boolean): void;
  close(): Promise<void>;
  readonly calls: { count(filter?: { status?: number; endpoint?: string }): number; total: number };
}

interface ProviderCase {
  readonly name: "quickbooks" | "xero";
  readonly ids: readonly string[];
  readonly tenant: string;
  start(): Promise<Fake & { raw: FakeQuickBooks | FakeXero }>;
  provider(baseUrl: string, getAccessToken: (tenant: string) => string, extra?: Record<string, unknown>): ProviderAdapter;
  /** Base URL of the API behind a proxy origin. */
  base(origin: string): string;
  webhook(ids: readonly string[], at: Date): { body: string; headers: Record<string, string> };
  /** A 200 answer that names only the first id. */
  partialAnswer(ids: readonly string[]): string;
  malformedBody: string;
}

const CASES: readonly ProviderCase[] = [
  {
    name: "quickbooks",
    ids: QBO_IDS,
    tenant: REALM,
    async start() {
      const fake = await startFakeQuickBooks();
      for (const id of QBO_IDS) fake.records.set(REALM, "Invoice", id, { TotalAmt: Number(id) });
      return Object.assign(fake, { raw: fake });
    },
    // idsPerQuery 1: one batch item per id, so "a batch answer that leaves out items" can be tested.
    provider: (baseUrl, getAccessToken, extra = {}) => quickbooks({ verifierToken: VERIFIER, getAccessToken, baseUrl, idsPerQuery: 1, ...extra }),
    base: (origin) => origin,
    webhook: (ids, at) =>
      quickBooksClassicPayload(
        VERIFIER,
        ids.map((id) => ({ realmId: REALM, name: "Invoice", id, operation: "Update", lastUpdated: at.toISOString() })),
      ),
    partialAnswer: (ids) =>
      JSON.stringify({ BatchItemResponse: [{ bId: "q0", QueryResponse: { Invoice: [{ Id: ids[0], SyncToken: "0" }] } }], time: new Date().toISOString() }),
    malformedBody: '{"BatchItemResponse": [{"bId": "q0", "QueryResp',
  },
  {
    name: "xero",
    ids: XERO_IDS,
    tenant: XERO_TENANT,
    async start() {
      const fake = await startFakeXero();
      for (const id of XERO_IDS) fake.records.set(XERO_TENANT, "INVOICE", id, { Total: 10 });
      return Object.assign(fake, { raw: fake });
    },
    provider: (baseUrl, getAccessToken, extra = {}) => xero({ webhookKey: XERO_KEY, getAccessToken, baseUrl, ...extra }),
    base: (origin) => `${origin}/api.xro/2.0`,
    webhook: (ids, at) =>
      xeroPayload(
        XERO_KEY,
        ids.map((resourceId) => ({ tenantId: XERO_TENANT, category: "INVOICE", resourceId, eventDateUtc: at.toISOString().replace(/Z$/, "") })),
      ),
    partialAnswer: (ids) => JSON.stringify({ Id: "x", Status: "OK", Invoices: [{ InvoiceID: ids[0], Total: 10 }] }),
    malformedBody: '{"Id":"x","Status":"OK","Invoices":[{"InvoiceID":',
  },
];

for (const testCase of CASES) {
  describe(`provider faults over loopback: ${testCase.name}`, () => {
    let fake: Awaited<ReturnType<ProviderCase["start"]>>;
    let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
    let clock: ManualClock;
    let inbox: WebhookProcessor;
    let handled: InboxEvent[];
    let tokenCalls: number;
    let tokens: string[];
    let lifecycle: ReturnType<typeof recordLifecycle>;

    const build = (extra: Record<string, unknown> = {}) => {
      clock = new ManualClock(new Date());
      handled = [];
      tokenCalls = 0;
      const getAccessToken = () => {
        tokenCalls += 1;
        return tokens.length > 1 ? (tokens.shift() as string) : (tokens[0] as string);
      };
      inbox = createWebhookInbox({
        store: new MemoryStore(),
        clock,
        integrations: { p: { provider: testCase.provider(testCase.base(proxy.origin), getAccessToken, extra), mode: "immediate" } },
        handler: (event) => {
          handled.push(event);
        },
        retryDelay: () => RETRY_MS,
        maxAttempts: 3,
        fetchTimeoutMs: FETCH_TIMEOUT_MS,
        logger: silentLogger,
      });
      lifecycle = recordLifecycle(inbox);
    };

    beforeEach(async () => {
      fake = await testCase.start();
      proxy = await startFaultProxy(fake.url.replace(/\/api\.xro\/2\.0$/, ""));
      tokens = ["good-token"];
      build();
    });
    afterEach(async () => {
      await inbox.stop();
      await proxy.close();
      await fake.close();
    });

    async function receiveAll(ids = testCase.ids): Promise<EventDetails[]> {
      const { body, headers } = testCase.webhook(ids, clock.now());
      const answer = await inbox.receive({ integration: "p", rawBody: Buffer.from(body), headers });
      expect(answer.status).toBe(200);
      const page = await inbox.listEvents({ limit: 100 });
      expect(page.items).toHaveLength(ids.length);
      return Promise.all(page.items.map(async (item) => (await inbox.getEvent(item.id))!));
    }

    async function events(): Promise<EventDetails[]> {
      const page = await inbox.listEvents({ limit: 100 });
      return Promise.all(page.items.map(async (item) => (await inbox.getEvent(item.id))!));
    }

    /** After the fault: the retry succeeds and nothing is lost. */
    async function expectRecovered(expectedAttempts: number) {
      clock.advance(RETRY_MS);
      await inbox.drain();
      const all = await events();
      for (const event of all) {
        expect(event.status, `${event.entityId}: ${event.lastError}`).toBe("succeeded");
        expect(event.attempts).toHaveLength(expectedAttempts);
        expect(event.attempts.at(-1)!.outcome).toBe("succeeded");
      }
      expect(new Set(handled.map((event) => event.entityId))).toEqual(new Set(testCase.ids));
    }

    async function expectFirstAttemptFailed(pattern: RegExp) {
      const all = await events();
      for (const event of all) {
        expect(event.status).toBe("retrying");
        expect(event.attemptsMade).toBe(1);
        expect(event.attempts).toHaveLength(1);
        expect(event.attempts[0]!.outcome).toBe("failed");
        expect(event.attempts[0]!.error).toMatch(pattern);
        expect(event.lastError).toMatch(pattern);
      }
      expect(handled).toHaveLength(0);
      expect(lifecycle.count("event:retry-scheduled")).toBe(testCase.ids.length);
    }

    it("a stalled API call past fetchTimeoutMs fails the attempt as a timeout, then the retry succeeds", async () => {
      await receiveAll();
      proxy.arm("stall");
      const started = Date.now();
      await inbox.drain();
      expect(Date.now() - started).toBeLessThan(FETCH_TIMEOUT_MS + 2_000);
      expect(proxy.counts.stall).toBe(1);
      await expectFirstAttemptFailed(/timed out after 400 ms/);
      await expectRecovered(2);
    });

    it("a connection reset fails the attempt (retryable), then the retry succeeds", async () => {
      await receiveAll();
      proxy.arm("reset");
      await inbox.drain();
      expect(proxy.counts.reset).toBe(1);
      await expectFirstAttemptFailed(/request failed \(network\)/);
      await expectRecovered(2);
    });

    it("an HTTP 500 fails the attempt (retryable), then the retry succeeds", async () => {
      await receiveAll();
      fake.failNextRequest({ status: 500, body: "<html>internal error</html>", contentType: "text/html" });
      await inbox.drain();
      await expectFirstAttemptFailed(/HTTP 500/);
      await expectRecovered(2);
    });

    it("a 200 with malformed JSON fails the attempt (retryable), then the retry succeeds", async () => {
      await receiveAll();
      fake.failNextRequest({ status: 200, body: testCase.malformedBody, contentType: "application/json" });
      await inbox.drain();
      await expectFirstAttemptFailed(/not JSON|no BatchItemResponse/);
      await expectRecovered(2);
    });

    it("an answer that leaves out some ids: the named one succeeds, no event is lost or left open", async () => {
      await receiveAll();
      fake.failNextRequest({ status: 200, body: testCase.partialAnswer(testCase.ids), contentType: "application/json" });
      await inbox.drain();
      const all = await events();
      const first = all.find((event) => event.entityId === testCase.ids[0])!;
      expect(first.status).toBe("succeeded");
      const rest = all.filter((event) => event.entityId !== testCase.ids[0]);
      for (const event of rest) expect(event.attempts).toHaveLength(1);
      if (testCase.name === "quickbooks") {
        // A batch item missing from the answer is a failed fetch, retried.
        for (const event of rest) {
          expect(event.status).toBe("retrying");
          expect(event.lastError).toMatch(/left out this item/);
        }
        clock.advance(RETRY_MS);
        await inbox.drain();
        for (const event of await events()) expect(event.status).toBe("succeeded");
      } else {
        // Xero's IDs= read: a record the answer leaves out is read again with GET /Invoices/{id}; it exists, so
        // the handler gets its data, never resource null, and the attempt says it was found on the second read.
        for (const event of rest) {
          expect(event.status).toBe("succeeded");
          expect(event.attempts.map((attempt) => attempt.error)).toEqual(["not in the batch answer; found by a single-record read"]);
        }
        expect(handled.filter((event) => event.resource === null)).toEqual([]);
        expect(fake.calls.count({ endpoint: "Invoices/{id}" })).toBe(rest.length);
      }
      expect(new Set(handled.map((event) => event.entityId))).toEqual(new Set(testCase.ids));
    });

    it("401 after a token expiry: getAccessToken is asked again exactly once and the attempt succeeds", async () => {
      tokens = ["expired-token", "fresh-token"];
      build();
      fake.setTokenValidator((token) => token === "fresh-token");
      await receiveAll();
      await inbox.drain();
      expect(tokenCalls).toBe(2);
      expect(fake.calls.count({ status: 401 })).toBe(1);
      for (const event of await events()) {
        expect(event.status).toBe("succeeded");
        expect(event.attempts).toHaveLength(1);
      }
      expect(handled).toHaveLength(testCase.ids.length);
    });

    it("401 twice: not retried blindly, the event fails with PROVIDER_AUTH and the attempt recorded", async () => {
      fake.setTokenValidator(() => false);
      await receiveAll();
      await inbox.drain();
      expect(tokenCalls).toBe(2);
      expect(fake.calls.count({ status: 401 })).toBe(2);
      for (const event of await events()) {
        expect(event.status).toBe("failed");
        expect(event.attempts).toHaveLength(1);
        expect(event.attempts[0]!.error).toMatch(/rejected the access token twice/);
      }
      expect(lifecycle.count("event:exhausted")).toBe(testCase.ids.length);
      // An operator's retry after the host fixed its tokens brings the events home.
      fake.setTokenValidator(() => true);
      for (const event of await events()) expect((await inbox.retry(event.id)).status).toBe("succeeded");
      expect(handled).toHaveLength(testCase.ids.length);
    });

    it("a fault on every attempt exhausts the events (status failed), each attempt recorded", async () => {
      await receiveAll();
      fake.failNextRequest({ status: 503, body: "unavailable", count: 3 });
      await inbox.drain();
      clock.advance(RETRY_MS);
      await inbox.drain();
      clock.advance(RETRY_MS);
      await inbox.drain();
      for (const event of await events()) {
        expect(event.status).toBe("failed");
        expect(event.attemptsMade).toBe(3);
        expect(event.attempts.map((attempt) => attempt.outcome)).toEqual(["failed", "failed", "failed"]);
      }
      expect(lifecycle.count("event:exhausted")).toBe(testCase.ids.length);
      expect(handled).toHaveLength(0);
    });
  });
}
