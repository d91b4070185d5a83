// The in-flight bound: receives beyond maxInFlightReceives are answered 503 + Retry-After, not queued.
import Fastify from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import {
  type InsertDeliveryResult,
  type Logger,
  MemoryStore,
  type NewDelivery,
  type NewEvent,
  StoreError,
  WebhookConfigError,
  createWebhookInbox,
} from "webhook-inbox";
import { fastifyWebhookInbox } from "webhook-inbox/fastify";
import { testProvider, testWebhook } from "webhook-inbox/testing";

const SECRET = "test-secret";

/** A MemoryStore whose inserts wait until `release()`; `entered(n)` resolves once n inserts are waiting. */
class HeldStore extends MemoryStore {
  #waiting = 0;
  #gate!: Promise<void>;
  #open!: () => void;
  #watchers: { count: number; resolve: () => void }[] = [];
  failing = false;

  constructor() {
    super();
    this.hold();
  }

  hold(): void {
    this.#gate = new Promise((resolve) => (this.#open = resolve));
  }

  release(): void {
    this.#open();
  }

  entered(count: number): Promise<void> {
    return new Promise((resolve) => {
      this.#watchers.push({ count, resolve });
      this.#notify();
    });
  }

  override async insertDelivery(input: { delivery: NewDelivery; events: readonly NewEvent[] }): Promise<InsertDeliveryResult> {
    this.#waiting += 1;
    this.#notify();
    await this.#gate;
    if (this.failing) throw new StoreError("held", "insertDelivery failed: disk full");
    return super.insertDelivery(input);
  }

  #notify(): void {
    for (const watcher of this.#watchers.filter((entry) => entry.count <= this.#waiting)) watcher.resolve();
  }
}

function setup(maxInFlightReceives = 2) {
  const store = new HeldStore();
  const warnings: string[] = [];
  const logger: Logger = { debug() {}, info() {}, warn: (message) => warnings.push(message), error() {} };
  const inbox = createWebhookInbox({
    store,
    integrations: { acme: { provider: testProvider({ secret: SECRET }) } },
    handler: () => {},
    logger,
    maxInFlightReceives,
  });
  const rejected: { code: string; reason: string; status: number | undefined }[] = [];
  inbox.on("delivery:rejected", ({ code, reason, delivery }) => rejected.push({ code, reason, status: delivery.response?.status }));
  let n = 0;
  const webhook = () =>
    testWebhook(SECRET, [{ tenantId: "t1", entityType: "invoice", entityId: `inv-${(n += 1)}`, occurredAt: "2030-01-01T00:00:00.000Z" }], `evt-${n}`);
  const send = () => {
    const { body, headers } = webhook();
    return inbox.receive({ integration: "acme", rawBody: Buffer.from(body), headers });
  };
  return { inbox, store, warnings, rejected, send, webhook };
}

describe("maxInFlightReceives", () => {
  it("answers a receive beyond the bound 503 + Retry-After with OVERLOADED, logged and announced, not stored", async () => {
    const { store, warnings, rejected, send } = setup(2);
    const first = send();
    const second = send();
    await store.entered(2);
    const third = await send();
    expect(third.status).toBe(503);
    expect(third.headers["retry-after"]).toMatch(/^\d+$/);
    expect(JSON.parse(third.body)).toEqual({ error: "OVERLOADED", message: expect.any(String) });
    expect(rejected).toEqual([{ code: "OVERLOADED", reason: expect.stringContaining("maxInFlightReceives"), status: 503 }]);
    expect(warnings.some((message) => message.includes("maxInFlightReceives"))).toBe(true);

    store.release();
    expect((await first).status).toBe(202);
    expect((await second).status).toBe(202);
    // The overloaded request cost no insert: only the two held ones are in the log.
    expect((await store.listDeliveries({ limit: 10 })).items).toHaveLength(2);
  });

  it("takes receives again once the ones in flight are answered", async () => {
    const { store, send } = setup(2);
    const held = [send(), send()];
    await store.entered(2);
    expect((await send()).status).toBe(503);
    store.release();
    await Promise.all(held);
    const again = await Promise.all([send(), send()]);
    expect(again.map((result) => result.status)).toEqual([202, 202]);
  });

  it("releases its place when the store fails, and for refused requests", async () => {
    const { inbox, store, send, rejected } = setup(1);
    store.failing = true;
    const failed = send();
    await store.entered(1);
    store.release();
    expect((await failed).status).toBe(503);
    expect(rejected.map((entry) => entry.code)).toEqual(["STORE_FAILED"]);
    store.failing = false;
    // Wrong signature: refused 401 (and logged through the store, which is open now).
    expect((await inbox.receive({ integration: "acme", rawBody: Buffer.from("{}"), headers: { "content-type": "application/json" } })).status).toBe(401);
    expect((await send()).status).toBe(202);
  });

  it("is validated: a bound below 1 is a WebhookConfigError", () => {
    const build = (value: unknown) => () =>
      createWebhookInbox({
        store: new MemoryStore(),
        integrations: { acme: { provider: testProvider({ secret: SECRET }) } },
        handler: () => {},
        maxInFlightReceives: value as number,
      });
    expect(build(0)).toThrow(WebhookConfigError);
    expect(build(1.5)).toThrow(/maxInFlightReceives/);
  });
});

describe("maxInFlightReceives over HTTP (Fastify on loopback)", () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it("answers the third concurrent POST 503 with Retry-After, then accepts again", async () => {
    const { inbox, store, webhook } = setup(2);
    const app = Fastify();
    closers.push(() => app.close());
    await app.register(fastifyWebhookInbox, { inbox });
    const baseUrl = await app.listen({ port: 0, host: "127.0.0.1" });
    const post = () => {
      const { body, headers } = webhook();
      return fetch(new URL("/webhooks/acme", baseUrl), { method: "POST", headers, body: Buffer.from(body) });
    };

    const held = [post(), post()];
    await store.entered(2);
    const over = await post();
    expect(over.status).toBe(503);
    expect(over.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await over.json()).error).toBe("OVERLOADED");

    store.release();
    expect((await Promise.all(held)).map((response) => response.status)).toEqual([202, 202]);
    expect((await post()).status).toBe(202);
  });
});
