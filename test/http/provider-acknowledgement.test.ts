import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore, createWebhookInbox, type Mode, type WebhookProcessor } from "webhook-inbox";
import { createExpressMiddleware } from "webhook-inbox/express";
import { quickbooks } from "webhook-inbox/quickbooks";
import { createProviderSender, quickBooksClassicPayload, startFakeQuickBooks, startFakeXero, xeroIntentToReceive, xeroPayload } from "webhook-inbox/testing";
import { xero } from "webhook-inbox/xero";
import { quietLogger } from "./cases.ts";

const XERO_KEY = "xero-webhook-key-for-acks";
const VERIFIER = "qbo-verifier-for-acks";
const TENANT = "e629a03c-7ffe-4913-bd94-ff2fdb36a702";
const REALM = "9130357766900000077";
const INVOICE = "44aa0707-f718-4f1c-8d53-f2da9ca59533";
const MODES: Mode[] = ["immediate", "delayed", "direct"];

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

/** Express over real HTTP, one integration per provider and mode, against the fakes. */
async function serve(
  extra: Record<string, { provider: ReturnType<typeof xero>; acceptedStatus?: 200 | 202 }> = {},
): Promise<{ url: string; inbox: WebhookProcessor }> {
  const xeroApi = await startFakeXero();
  const qboApi = await startFakeQuickBooks();
  open.push(xeroApi, qboApi);
  xeroApi.records.set(TENANT, "INVOICE", INVOICE);
  qboApi.records.set(REALM, "Invoice", "1");
  const integrations: Parameters<typeof createWebhookInbox>[0]["integrations"] = { ...extra };
  for (const mode of MODES) {
    integrations[`xero-${mode}`] = { provider: xero({ webhookKey: XERO_KEY, getAccessToken: () => "access-token", baseUrl: xeroApi.url }), mode };
    integrations[`qbo-${mode}`] = { provider: quickbooks({ verifierToken: VERIFIER, getAccessToken: () => "access-token", baseUrl: qboApi.url }), mode };
  }
  const inbox = createWebhookInbox({ store: new MemoryStore(), integrations, handler: async () => {}, logger: quietLogger });
  const app = express();
  app.all("/webhooks/:integration", createExpressMiddleware(inbox, { param: "integration" }));
  const server: Server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  open.push({
    close: async () => {
      await inbox.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`, inbox };
}

const xeroEvent = () => xeroPayload(XERO_KEY, [{ tenantId: TENANT, category: "INVOICE", resourceId: INVOICE, eventDateUtc: "2025-12-31T23:00:00" }]);

describe("acknowledged as each provider requires, through the real HTTP path", () => {
  it("Xero: events and intent to receive are answered 200, empty body, no cookie, in every mode; a redelivery too", async () => {
    const { url, inbox } = await serve();
    const sender = createProviderSender("xero");
    for (const mode of MODES) {
      const event = xeroEvent();
      await sender.send(`${url}/xero-${mode}`, event);
      await sender.send(`${url}/xero-${mode}`, event); // the same webhook again: a duplicate
      await sender.send(`${url}/xero-${mode}`, xeroIntentToReceive(XERO_KEY, { valid: true }));
      await sender.send(`${url}/xero-${mode}`, xeroIntentToReceive(XERO_KEY, { valid: false }), { expectStatus: 401 });
    }
    expect(sender.log.filter((entry) => !entry.delivered).map((entry) => entry.problems)).toEqual([]);
    expect(sender.delivered).toBe(12);
    expect(sender.log.every((entry) => entry.body === "" && entry.headers["set-cookie"] === undefined)).toBe(true);

    // The log still says what was decided, and records the exact (empty) answer sent.
    const deliveries = (await inbox.listDeliveries({ integration: "xero-immediate" })).items;
    const accepted = deliveries.find((delivery) => delivery.status === "accepted" && delivery.reason === "accepted for processing");
    expect(accepted?.response).toEqual({ status: 200, headers: {}, body: "" });
  });

  it("QuickBooks: deliveries are answered 200 in every mode, duplicates too", async () => {
    const { url } = await serve();
    const sender = createProviderSender("quickbooks");
    for (const mode of MODES) {
      const webhook = quickBooksClassicPayload(VERIFIER, [{ realmId: REALM, name: "Invoice", id: "1", lastUpdated: "2029-12-31T23:00:00Z" }]);
      const first = await sender.send(`${url}/qbo-${mode}`, webhook);
      await sender.send(`${url}/qbo-${mode}`, webhook);
      expect(JSON.parse(first.body)).toMatchObject({ deliveryId: expect.any(String) });
    }
    expect(sender.log.filter((entry) => !entry.delivered).map((entry) => entry.problems)).toEqual([]);
    expect(sender.delivered).toBe(6);
  });

  it("control: the sender counts an answer that breaks Xero's rule as failed (acceptedStatus 202 overrides the rule)", async () => {
    const xeroApi = await startFakeXero();
    open.push(xeroApi);
    const { url } = await serve({
      "xero-202": { provider: xero({ webhookKey: XERO_KEY, getAccessToken: () => "t", baseUrl: xeroApi.url }), acceptedStatus: 202 },
    });
    const sender = createProviderSender("xero");
    const answer = await sender.send(`${url}/xero-202`, xeroEvent());
    expect(answer.delivered).toBe(false);
    expect(answer.problems).toEqual(["status 202 is not 200"]);
    expect(sender.failed).toBe(1);
  });
});
