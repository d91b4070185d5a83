/**
 * Requests whose body never reaches the inbox are still logged as deliveries (the README's "every
 * request is logged"): a client that disconnects mid-body (Express and Fastify), and a body consumed
 * by the host's parser first (Express's BODY_ALREADY_PARSED).
 */
import { once } from "node:events";
import type { Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import express from "express";
import Fastify from "fastify";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryStore, createWebhookInbox, type DeliverySummary, type WebhookProcessor } from "webhook-inbox";
import { createExpressMiddleware } from "webhook-inbox/express";
import { fastifyWebhookInbox } from "webhook-inbox/fastify";
import { testProvider, testWebhook } from "webhook-inbox/testing";
import { silentLogger } from "./support.ts";

const SECRET = "unread-body-secret";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function newInbox(): WebhookProcessor {
  const inbox = createWebhookInbox({
    store: new MemoryStore(),
    integrations: { test: { provider: testProvider({ secret: SECRET }) } },
    handler: async () => {},
    logger: silentLogger,
  });
  cleanups.push(() => inbox.stop());
  return inbox;
}

async function serveExpress(inbox: WebhookProcessor, parseFirst: boolean): Promise<number> {
  const app = express();
  if (parseFirst) app.use(express.json({ type: "*/*" }));
  app.all("/webhooks/:integration", createExpressMiddleware(inbox, { param: "integration", logger: silentLogger }));
  const server: Server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

async function serveFastify(inbox: WebhookProcessor): Promise<number> {
  const app = Fastify();
  await app.register(fastifyWebhookInbox, { inbox });
  await app.listen({ port: 0, host: "127.0.0.1" });
  cleanups.push(() => app.close());
  return (app.server.address() as AddressInfo).port;
}

/** Sends the headers and half of a signed body, then resets the connection. */
async function disconnectMidBody(port: number): Promise<void> {
  const webhook = testWebhook(SECRET, [{ tenantId: "t1", entityType: "invoice", entityId: "inv-1", occurredAt: new Date().toISOString() }], "evt-cut");
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  const head = [
    "POST /webhooks/test HTTP/1.1",
    "host: 127.0.0.1",
    ...Object.entries(webhook.headers).map(([name, value]) => `${name}: ${value}`),
    `content-length: ${Buffer.byteLength(webhook.body)}`,
    "",
    "",
  ].join("\r\n");
  socket.write(head + webhook.body.slice(0, Math.floor(webhook.body.length / 2)));
  // Let the server see the partial body before the connection goes away.
  await new Promise((resolve) => setTimeout(resolve, 50));
  socket.resetAndDestroy();
}

async function onlyDelivery(inbox: WebhookProcessor): Promise<DeliverySummary> {
  return vi.waitFor(
    async () => {
      const { items } = await inbox.listDeliveries();
      expect(items).toHaveLength(1);
      return items[0]!;
    },
    { timeout: 5000, interval: 20 },
  );
}

describe("a request whose body never reaches the inbox is logged", () => {
  it.each([
    ["Express", (inbox: WebhookProcessor) => serveExpress(inbox, false)],
    ["Fastify", serveFastify],
  ] as const)("%s: a client that disconnects mid-body is a rejected delivery naming the cause", async (_name, serve) => {
    const inbox = newInbox();
    const port = await serve(inbox);
    await disconnectMidBody(port);
    const delivery = await onlyDelivery(inbox);
    expect(delivery.status).toBe("rejected");
    expect(delivery.integration).toBe("test");
    expect(delivery.reason).toMatch(/CLIENT_DISCONNECTED/);
    expect((await inbox.listEvents()).items).toHaveLength(0);
  });

  it("Express: a body consumed by express.json() first is answered 500 with the fix and logged, every time", async () => {
    const inbox = newInbox();
    const port = await serveExpress(inbox, true);
    for (const id of ["evt-1", "evt-2"]) {
      const webhook = testWebhook(SECRET, [], id);
      const response = await fetch(`http://127.0.0.1:${port}/webhooks/test`, { method: "POST", headers: webhook.headers, body: webhook.body });
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({ error: "BODY_ALREADY_PARSED" });
    }
    const { items } = await inbox.listDeliveries();
    expect(items.map((delivery) => delivery.status)).toEqual(["rejected", "rejected"]);
    for (const delivery of items) {
      expect(delivery.reason).toMatch(/BODY_ALREADY_PARSED/);
      expect(delivery.response?.status).toBe(500);
    }
  });
});
