/**
 * Secrets and tokens never leave the inbox: verifier token, webhook key, OAuth access tokens, a
 * refresh failure's text, and the caller's own credentials (Authorization, Cookie, API keys) never
 * appear in stored headers, delivery reasons, attempt errors, logs, or any lifecycle payload.
 * Every path runs: accepted, duplicate, bad signature, direct success and failure, provider 401s,
 * token callback failures, provider errors.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryStore, type WebhookProcessor, createWebhookInbox } from "webhook-inbox";
import { quickbooks } from "webhook-inbox/quickbooks";
import {
  type FakeQuickBooks,
  type FakeXero,
  ManualClock,
  quickBooksClassicPayload,
  startFakeQuickBooks,
  startFakeXero,
  xeroPayload,
} from "webhook-inbox/testing";
import { xero } from "webhook-inbox/xero";
import { capturingLogger, deepText, recordLifecycle } from "../reliability/support.ts";

const VERIFIER = "VERIFIER-SECRET-7f3a9c";
const XERO_KEY = "XERO-KEY-SECRET-b81e22";
const QBO_TOKEN = "QBO-ACCESS-TOKEN-SECRET-5521";
const XERO_TOKEN = "XERO-ACCESS-TOKEN-SECRET-9903";
const REFRESH = "REFRESH-TOKEN-SECRET-4410";
const INBOUND = [
  "INBOUND-BEARER-SECRET-1",
  "INBOUND-COOKIE-SECRET-2",
  "INBOUND-APIKEY-SECRET-3",
  "INBOUND-AUTH-TOKEN-SECRET-4",
  "INBOUND-CLIENT-SECRET-5",
  "INBOUND-PROXY-SECRET-6",
];
const SECRETS = [VERIFIER, XERO_KEY, QBO_TOKEN, XERO_TOKEN, REFRESH, ...INBOUND];
const REALM = "123145000000001";
const TENANT = "aaaaaaaa-0000-4000-8000-000000000001";
const XERO_ID = "bbbbbbbb-0000-4000-8000-000000000002";

const callerHeaders = {
  authorization: `Bearer ${INBOUND[0]}`,
  Cookie: `session=${INBOUND[1]}`,
  "X-Api-Key": INBOUND[2]!,
  "x-auth-token": INBOUND[3]!,
  "x-client-secret": INBOUND[4]!,
  "proxy-authorization": `Basic ${INBOUND[5]}`,
};

describe("secrets never leak", () => {
  let qboFake: FakeQuickBooks;
  let xeroFake: FakeXero;
  let inbox: WebhookProcessor;
  let clock: ManualClock;
  let log: ReturnType<typeof capturingLogger>;
  let lifecycle: ReturnType<typeof recordLifecycle>;
  let failToken = false;

  beforeEach(async () => {
    qboFake = await startFakeQuickBooks();
    xeroFake = await startFakeXero();
    qboFake.records.set(REALM, "Invoice", "1", { TotalAmt: 1 });
    qboFake.records.set(REALM, "Invoice", "2", { TotalAmt: 2 });
    xeroFake.records.set(TENANT, "INVOICE", XERO_ID, { Total: 3 });
    clock = new ManualClock(new Date());
    log = capturingLogger();
    const qboToken = () => {
      if (failToken) throw new Error(`token refresh failed: invalid_grant for refresh_token=${REFRESH} access=${QBO_TOKEN}`);
      return QBO_TOKEN;
    };
    const qbo = quickbooks({ verifierToken: VERIFIER, getAccessToken: qboToken, baseUrl: qboFake.url });
    const xro = xero({ webhookKey: XERO_KEY, getAccessToken: () => XERO_TOKEN, baseUrl: xeroFake.url });
    inbox = createWebhookInbox({
      store: new MemoryStore(),
      clock,
      integrations: { qbo: { provider: qbo }, "qbo-direct": { provider: qbo, mode: "direct" }, xero: { provider: xro } },
      handler: () => {},
      retryDelay: () => 1_000,
      logger: log.logger,
    });
    lifecycle = recordLifecycle(inbox);
  });
  afterEach(async () => {
    failToken = false;
    await inbox.stop();
    await qboFake.close();
    await xeroFake.close();
  });

  async function everythingStored(): Promise<string> {
    const parts: unknown[] = [];
    for (const summary of (await inbox.listDeliveries({ limit: 500 })).items) parts.push(await inbox.getDelivery(summary.id));
    for (const summary of (await inbox.listEvents({ limit: 500 })).items) parts.push(await inbox.getEvent(summary.id));
    return deepText(parts);
  }

  function expectClean(where: string, text: string) {
    for (const secret of SECRETS) expect(text.includes(secret), `${secret} found in ${where}`).toBe(false);
  }

  const qboWebhook = (ids: string[]) =>
    quickBooksClassicPayload(
      VERIFIER,
      ids.map((id) => ({ realmId: REALM, name: "Invoice", id, lastUpdated: clock.now().toISOString() })),
    );

  it("across every receive and processing path", async () => {
    // Accepted, then its replay (duplicate).
    const first = qboWebhook(["1"]);
    for (let i = 0; i < 2; i += 1) {
      const answer = await inbox.receive({ integration: "qbo", rawBody: Buffer.from(first.body), headers: { ...callerHeaders, ...first.headers } });
      expect(answer.status).toBe(200);
    }
    // Wrong signature, missing signature, oversized, wrong method, wrong media type.
    await inbox.receive({
      integration: "qbo",
      rawBody: Buffer.from(first.body),
      headers: { ...callerHeaders, "content-type": "application/json", "intuit-signature": "AAAA" },
    });
    await inbox.receive({ integration: "qbo", rawBody: Buffer.from(first.body), headers: { ...callerHeaders, "content-type": "application/json" } });
    await inbox.receive({ integration: "qbo", rawBody: Buffer.from(first.body), headers: { ...callerHeaders, "content-type": "text/plain" } });
    await inbox.receive({ integration: "qbo", rawBody: Buffer.from(first.body), headers: callerHeaders, method: "PUT" });
    // Headers as a Fetch Headers object (mixed case on the wire).
    const viaHeaders = qboWebhook(["2"]);
    await inbox.receive({ integration: "qbo", rawBody: Buffer.from(viaHeaders.body), headers: new Headers({ ...callerHeaders, ...viaHeaders.headers }) });
    // Xero.
    const x = xeroPayload(XERO_KEY, [{ tenantId: TENANT, category: "INVOICE", resourceId: XERO_ID }]);
    expect((await inbox.receive({ integration: "xero", rawBody: Buffer.from(x.body), headers: { ...callerHeaders, ...x.headers } })).status).toBe(200);
    await inbox.drain();

    // Direct mode: success, then a provider 401 twice (failure answered 500).
    clock.advance(10); // a new change, not a replay of the ones above
    const direct = qboWebhook(["1"]);
    expect(
      (await inbox.receive({ integration: "qbo-direct", rawBody: Buffer.from(direct.body), headers: { ...callerHeaders, ...direct.headers } })).status,
    ).toBe(200);
    qboFake.setTokenValidator(() => false);
    clock.advance(10);
    const direct2 = qboWebhook(["2"]);
    expect(
      (await inbox.receive({ integration: "qbo-direct", rawBody: Buffer.from(direct2.body), headers: { ...callerHeaders, ...direct2.headers } })).status,
    ).toBe(500);

    // Deferred: token rejected twice, then the token callback itself fails with secrets in its message.
    const later = qboWebhook(["1", "2"]);
    clock.advance(10);
    await inbox.receive({ integration: "qbo", rawBody: Buffer.from(later.body), headers: { ...callerHeaders, ...later.headers } });
    await inbox.drain();
    qboFake.setTokenValidator(() => true);
    failToken = true;
    const again = qboWebhook(["2"]);
    clock.advance(10);
    await inbox.receive({ integration: "qbo", rawBody: Buffer.from(again.body), headers: { ...callerHeaders, ...again.headers } });
    await inbox.drain();

    // Sanity: the paths really ran.
    expect(lifecycle.count("delivery:rejected")).toBeGreaterThanOrEqual(4);
    expect(lifecycle.count("event:failed")).toBeGreaterThanOrEqual(2);
    expect(lifecycle.count("event:processed")).toBeGreaterThanOrEqual(2);

    const stored = await everythingStored();
    expect(stored).toContain("[redacted]");
    expectClean("the store", stored);
    expectClean("the logs", log.text());
    expectClean("lifecycle payloads", lifecycle.text());
    // The webhook signatures are kept out too (they are proofs anyone could replay).
    let checked = 0;
    for (const summary of (await inbox.listDeliveries({ limit: 500 })).items) {
      for (const name of [
        "intuit-signature",
        "x-xero-signature",
        "authorization",
        "cookie",
        "x-api-key",
        "x-auth-token",
        "x-client-secret",
        "proxy-authorization",
      ]) {
        if (!(name in summary.headers)) continue;
        expect(summary.headers[name], name).toBe("[redacted]");
        checked += 1;
      }
    }
    expect(checked, "no secret header reached the store to be checked").toBeGreaterThan(0);
  });

  it("a provider error that echoes the access token back does not carry it into attempt errors or logs", async () => {
    // Some gateways answer "invalid token <the token>"; that text is quoted into the attempt error.
    qboFake.failNextRequest({
      status: 400,
      contentType: "application/json",
      body: JSON.stringify({
        Fault: { type: "AUTHENTICATION", Error: [{ Message: "bad request", Detail: `Authorization: Bearer ${QBO_TOKEN} is malformed`, code: "100" }] },
      }),
    });
    const webhook = qboWebhook(["1"]);
    await inbox.receive({ integration: "qbo", rawBody: Buffer.from(webhook.body), headers: webhook.headers });
    await inbox.drain();
    expect(lifecycle.count("event:failed")).toBe(1);
    const stored = await everythingStored();
    expectClean("the store", stored);
    expectClean("lifecycle payloads", lifecycle.text());
    expectClean("the logs", log.text());
  });
});
