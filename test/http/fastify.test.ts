import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { WebhookConfigError } from "webhook-inbox";
import { fastifyWebhookInbox } from "webhook-inbox/fastify";
import { testWebhook } from "webhook-inbox/testing";
import { MAX_BODY_BYTES, SECRET, createCaseInbox } from "./cases.ts";
import { describeHttpCases, sendOverHttp } from "./run-cases.ts";

async function listen(app: FastifyInstance): Promise<string> {
  return app.listen({ port: 0, host: "127.0.0.1" });
}

describeHttpCases("Fastify", async (inbox) => {
  const app = Fastify();
  await app.register(fastifyWebhookInbox, { inbox });
  await app.register(fastifyWebhookInbox, { inbox, integration: "test", path: "/fixed/test" });
  const baseUrl = await listen(app);
  return { send: (request) => sendOverHttp(baseUrl, request), close: () => app.close() };
});

describe("fastifyWebhookInbox", () => {
  const apps: FastifyInstance[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  const webhook = testWebhook(SECRET, [{ tenantId: "t1", entityType: "invoice", entityId: "inv-1", occurredAt: "2030-01-01T00:00:00.000Z" }], "evt-1");

  it("leaves the host's JSON parsing alone outside the plugin", async () => {
    const inbox = createCaseInbox();
    const app = Fastify();
    apps.push(app);
    app.post("/api/echo", async (request) => ({ parsed: request.body, type: typeof request.body }));
    await app.register(fastifyWebhookInbox, { inbox });
    app.post("/api/after", async (request) => ({ parsed: request.body }));
    const baseUrl = await listen(app);

    const hook = await sendOverHttp(baseUrl, { method: "POST", path: "/webhooks/test", headers: webhook.headers, body: webhook.body });
    expect(hook.status).toBe(202);
    const echo = await sendOverHttp(baseUrl, { method: "POST", path: "/api/echo", headers: { "content-type": "application/json" }, body: '{"a":1}' });
    expect(JSON.parse(echo.body)).toEqual({ parsed: { a: 1 }, type: "object" });
    const after = await sendOverHttp(baseUrl, { method: "POST", path: "/api/after", headers: { "content-type": "application/json" }, body: '{"b":[2]}' });
    expect(JSON.parse(after.body)).toEqual({ parsed: { b: [2] } });
    // The host's body limit (Fastify's 1 MiB default) still applies there, not the inbox's.
    const big = JSON.stringify({ padding: "x".repeat(MAX_BODY_BYTES * 2) });
    expect((await sendOverHttp(baseUrl, { method: "POST", path: "/api/echo", headers: { "content-type": "application/json" }, body: big })).status).toBe(200);
  });

  it("maps Fastify's body-limit error to the inbox's 413 and logs it as a delivery", async () => {
    const inbox = createCaseInbox();
    const app = Fastify();
    apps.push(app);
    const hostErrors: unknown[] = [];
    app.setErrorHandler((error, _request, reply) => {
      hostErrors.push(error);
      return reply.code(599).send();
    });
    await app.register(fastifyWebhookInbox, { inbox });
    const baseUrl = await listen(app);
    const body = "x".repeat(MAX_BODY_BYTES + 1);
    const response = await sendOverHttp(baseUrl, { method: "POST", path: "/webhooks/test", headers: { "content-type": "application/json" }, body });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body).error).toBe("PAYLOAD_TOO_LARGE");
    const [delivery] = (await inbox.listDeliveries()).items;
    expect(delivery).toMatchObject({ status: "rejected", integration: "test" });
    expect(hostErrors).toEqual([]);
  });

  it("is a named Fastify 5 plugin without the fastify-plugin package: hasPlugin and dependencies see it", async () => {
    const inbox = createCaseInbox();
    const app = Fastify();
    apps.push(app);
    await app.register(fastifyWebhookInbox, { inbox });
    const dependent = Object.assign(async () => {}, { [Symbol.for("plugin-meta")]: { name: "host-plugin", dependencies: ["webhook-inbox"] } });
    await app.register(dependent);
    await app.ready();
    expect(app.hasPlugin("webhook-inbox")).toBe(true);
    const alone = Fastify();
    apps.push(alone);
    await expect(alone.register(dependent).ready()).rejects.toThrow(/webhook-inbox/);
  });

  it("validates its options at register time", async () => {
    const inbox = createCaseInbox();
    const app = Fastify();
    apps.push(app);
    await expect(app.register(fastifyWebhookInbox, { inbox, path: "/hooks" }).ready()).rejects.toThrow(WebhookConfigError);
    const other = Fastify();
    apps.push(other);
    await expect(other.register(fastifyWebhookInbox, { inbox: {} as never }).ready()).rejects.toThrow(/inbox/);
  });

  it("defaults the path to /webhooks/<integration> for one route per integration", async () => {
    const inbox = createCaseInbox();
    const app = Fastify();
    apps.push(app);
    await app.register(fastifyWebhookInbox, { inbox, integration: "test" });
    await app.register(fastifyWebhookInbox, { inbox, integration: "test-200", prefix: "/v2" });
    const baseUrl = await listen(app);
    expect((await sendOverHttp(baseUrl, { method: "POST", path: "/webhooks/test", headers: webhook.headers, body: webhook.body })).status).toBe(202);
    expect((await sendOverHttp(baseUrl, { method: "POST", path: "/v2/webhooks/test-200", headers: webhook.headers, body: webhook.body })).status).toBe(200);
  });
});
