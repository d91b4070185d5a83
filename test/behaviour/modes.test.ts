import { describe, expect, it } from "vitest";
import { MemoryStore, StoreError, createWebhookInbox } from "webhook-inbox";
import { ManualClock, testProvider, testWebhook } from "webhook-inbox/testing";
import { SECRET, change, setupInbox } from "../helpers/inbox.ts";

describe("immediate mode", () => {
  it("stores the delivery and its events before answering 202 with the delivery id", async () => {
    const { inbox, api, send } = setupInbox();
    api.set("t1", "invoice", "1", { Id: "1", total: 10 }).set("t1", "invoice", "2", { Id: "2", total: 20 });
    const response = await send([change("1", "2030-01-01T00:00:00Z"), change("2", "2030-01-01T00:00:01Z")]);

    expect(response.status).toBe(202);
    const body = JSON.parse(response.body);
    expect(body).toMatchObject({ status: "accepted", message: "Webhook accepted for processing", events: 2 });
    const delivery = await inbox.getDelivery(body.deliveryId);
    expect(delivery?.status).toBe("accepted");
    const { items } = await inbox.listEvents({ deliveryId: body.deliveryId });
    expect(items.map((event) => [event.entityId, event.status, event.attemptsRemaining])).toEqual([
      ["2", "queued", 3],
      ["1", "queued", 3],
    ]);
  });

  it("processes at once in the background once started, the first attempt triggered by the receive", async () => {
    const { inbox, api, send, handled } = setupInbox();
    api.set("t1", "invoice", "1", { Id: "1" });
    await inbox.start();
    const processed = new Promise((resolve) => inbox.once("event:processed", resolve));
    await send([change("1", "2030-01-01T00:00:00Z")]);
    await processed;
    await inbox.stop();

    expect(handled).toHaveLength(1);
    expect(handled[0]).toMatchObject({ integration: "acme", tenantId: "t1", entityType: "invoice", entityId: "1", resource: { Id: "1" }, trigger: "receive" });
    const event = await inbox.getEvent(handled[0]!.id);
    expect(event?.status).toBe("succeeded");
    expect(event?.attempts.map((attempt) => [attempt.trigger, attempt.outcome])).toEqual([["receive", "succeeded"]]);
    expect(event?.resourceData).toEqual({ data: { Id: "1" }, downloadedAt: expect.any(Date) });
  });
});

describe("delayed mode", () => {
  it("answers 202 and leaves processing to the scheduler's batches after delayMs", async () => {
    const { inbox, api, send, handled, clock } = setupInbox({ mode: "delayed" });
    api.set("t1", "invoice", "1", { Id: "1" });
    expect((await send([change("1", "2030-01-01T00:00:00Z")])).status).toBe(202);

    await inbox.drain();
    expect(handled).toHaveLength(0);

    clock.advance(1_000);
    await inbox.drain();
    expect(handled).toHaveLength(1);
    expect(handled[0]?.trigger).toBe("scheduler");
  });
});

describe("direct mode", () => {
  it("processes inside the request and answers 200, logging the delivery only", async () => {
    const { inbox, api, send, handled } = setupInbox({ mode: "direct" });
    api.set("t1", "invoice", "1", { Id: "1" });
    const response = await send([change("1", "2030-01-01T00:00:00Z")]);

    expect(response.status).toBe(200);
    expect(handled.map((event) => event.resource)).toEqual([{ Id: "1" }]);
    const { deliveryId } = JSON.parse(response.body);
    expect((await inbox.getDelivery(deliveryId))?.status).toBe("processed");
    expect((await inbox.listEvents()).items).toHaveLength(0);
  });

  it("answers an error on failure, never retries, and processes the provider's resend", async () => {
    let failures = 1;
    const { inbox, api, send, handled } = setupInbox({
      mode: "direct",
      handler: async () => {
        if (failures-- > 0) throw new Error("database is down");
      },
    });
    api.set("t1", "invoice", "1", { Id: "1" });
    const first = await send([change("1", "2030-01-01T00:00:00Z")], "same-webhook");
    expect(first.status).toBe(500);
    expect(JSON.parse(first.body)).toEqual({ error: "PROCESSING_FAILED", message: "The webhook could not be processed" });
    const { items } = await inbox.listDeliveries({ status: "failed" });
    expect(items[0]?.reason).toBe("database is down");

    await inbox.drain();
    expect(handled).toHaveLength(1); // nothing queued for a retry

    const resend = await send([change("1", "2030-01-01T00:00:00Z")], "same-webhook");
    expect(resend.status).toBe(200);
    expect(handled).toHaveLength(2);
  });

  it("is what every integration does while serviceEnabled is false", async () => {
    const { inbox, api, send, handled } = setupInbox({ mode: "immediate", inbox: { serviceEnabled: false } });
    api.set("t1", "invoice", "1", { Id: "1" });
    expect(inbox.listIntegrations()).toEqual([{ id: "acme", provider: "test", mode: "immediate", effectiveMode: "direct", modeChange: null }]);
    const response = await send([change("1", "2030-01-01T00:00:00Z")]);
    expect(response.status).toBe(200);
    expect(handled).toHaveLength(1);

    inbox.setServiceEnabled(true);
    expect((await send([change("1", "2030-01-01T00:00:05Z")])).status).toBe(202);
    expect(handled).toHaveLength(1);
  });
});

describe("setMode", () => {
  it("changes an integration's mode at run time and refuses unknown ones", async () => {
    const { inbox, api, send, handled } = setupInbox({ mode: "delayed" });
    api.set("t1", "invoice", "1", { Id: "1" });
    inbox.setMode("acme", "direct");
    expect(inbox.getMode("acme")).toBe("direct");
    expect((await send([change("1", "2030-01-01T00:00:00Z")])).status).toBe(200);
    expect(handled).toHaveLength(1);
    expect(() => inbox.setMode("nope", "direct")).toThrow(/unknown integration/);
    expect(() => inbox.setMode("acme", "later" as never)).toThrow(/mode must be/);
  });
});

describe("receive() refusals, each logged as a delivery with its reason", () => {
  it("answers 401 with an empty body for a bad or missing signature, and processes nothing", async () => {
    const { inbox, send, handled } = setupInbox();
    const { body } = testWebhook(SECRET, [change("1", "2030-01-01T00:00:00Z")]);
    const bad = await inbox.receive({
      integration: "acme",
      rawBody: Buffer.from(body),
      headers: { "content-type": "application/json", "x-test-signature": "AAAA" },
    });
    const missing = await inbox.receive({ integration: "acme", rawBody: Buffer.from(body), headers: { "content-type": "application/json" } });
    expect([bad.status, bad.body, missing.status, missing.body]).toEqual([401, "", 401, ""]);
    const { items } = await inbox.listDeliveries({ status: "rejected" });
    expect(items.map((delivery) => delivery.reason).sort()).toEqual(["missing x-test-signature header", "signature does not match the body"]);
    expect(items[0]?.headers["x-test-signature"] ?? "[redacted]").toBe("[redacted]");
    await send([]);
    await inbox.drain();
    expect(handled).toHaveLength(0);
  });

  it("answers 405, 413, 415 and 404 for the wrong method, size, content type and integration", async () => {
    const { inbox } = setupInbox({ inbox: { maxBodyBytes: 300 } });
    const { body, headers } = testWebhook(SECRET, [change("1", "2030-01-01T00:00:00Z")]);
    const rawBody = Buffer.from(body);
    const statuses = [
      (await inbox.receive({ integration: "acme", rawBody, headers, method: "GET" })).status,
      (await inbox.receive({ integration: "acme", rawBody: Buffer.alloc(301, 32), headers })).status,
      (await inbox.receive({ integration: "acme", rawBody, headers: { ...headers, "content-type": "text/plain" } })).status,
      (await inbox.receive({ integration: "other", rawBody, headers })).status,
    ];
    expect(statuses).toEqual([405, 413, 415, 404]);
    const { items } = await inbox.listDeliveries();
    expect(items.map((delivery) => delivery.reason)).toEqual([
      'unknown integration "other"',
      'content type "text/plain" is not one test sends',
      "body larger than 300 bytes",
      "method GET is not allowed",
    ]);
  });

  it("answers 503 when the store cannot commit, so the provider retries", async () => {
    const store = new MemoryStore();
    store.insertDelivery = async () => {
      throw new StoreError("memory", "insertDelivery failed");
    };
    const errors: { error: Error; message: string }[] = [];
    const inbox = createWebhookInbox({
      store,
      integrations: { acme: { provider: testProvider({ secret: SECRET }) } },
      handler: async () => {},
    }).on("error", (payload) => errors.push(payload));
    const { body, headers } = testWebhook(SECRET, [change("1", "2030-01-01T00:00:00Z")]);
    const response = await inbox.receive({ integration: "acme", rawBody: Buffer.from(body), headers });
    expect(response.status).toBe(503);
    expect(response.headers["retry-after"]).toBe("5");
    expect(errors).toHaveLength(1);
    // The listener gets what the logger would have said: what failed, and what happens next.
    expect(errors[0]!.error.message).toBe("[memory] insertDelivery failed");
    expect(errors[0]!.message).toBe("could not store a delivery; answered 503 so the provider resends it");
  });

  it("stores a signed but unparseable body whole, acknowledges it, and re-processes it once fixed", async () => {
    const clock = new ManualClock();
    const provider = testProvider({ secret: SECRET });
    let parserFixed = false;
    const parse = provider.parse.bind(provider);
    provider.parse = (request) => {
      if (!parserFixed) throw new Error("unknown field 'foo'");
      return parse(request);
    };
    provider.api.set("t1", "invoice", "1", { Id: "1" });
    const handled: string[] = [];
    const inbox = createWebhookInbox({
      store: new MemoryStore(),
      clock,
      integrations: { acme: { provider } },
      handler: async (e) => void handled.push(e.entityId),
    });
    const { body, headers } = testWebhook(SECRET, [change("1", "2030-01-01T00:00:00Z")]);
    const response = await inbox.receive({ integration: "acme", rawBody: Buffer.from(body), headers });

    expect(response.status).toBe(202);
    const { deliveryId, status } = JSON.parse(response.body);
    expect(status).toBe("unparseable");
    const stored = await inbox.getDelivery(deliveryId);
    expect([stored?.status, stored?.reason, Buffer.from(stored!.rawBody).toString()]).toEqual(["unparseable", "parse failed: unknown field 'foo'", body]);

    parserFixed = true;
    const reprocessed = await inbox.reprocessDelivery(deliveryId);
    expect([reprocessed.status, reprocessed.eventCount]).toEqual(["accepted", 1]);
    await inbox.drain();
    expect(handled).toEqual(["1"]);
    await expect(inbox.reprocessDelivery(deliveryId)).rejects.toThrow(/only unparseable deliveries/);
  });
});

describe("de-duplication", () => {
  it("acknowledges a repeated delivery without storing or processing it again", async () => {
    const { inbox, api, send, handled } = setupInbox();
    api.set("t1", "invoice", "1", { Id: "1" });
    const first = await send([change("1", "2030-01-01T00:00:00Z")], "wh-1");
    const second = await send([change("1", "2030-01-01T00:00:00Z")], "wh-1");
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(JSON.parse(second.body)).toMatchObject({ status: "duplicate", duplicateOf: JSON.parse(first.body).deliveryId });
    await inbox.drain();
    expect(handled).toHaveLength(1);
    expect((await inbox.listEvents()).items).toHaveLength(1);
    expect((await inbox.listDeliveries({ status: "duplicate" })).items).toHaveLength(1);
  });
});

describe("reprocessDelivery", () => {
  it("queues an unparseable delivery's events once, even when asked twice at the same time", async () => {
    const provider = testProvider({ secret: SECRET });
    let parserFixed = false;
    const parse = provider.parse.bind(provider);
    provider.parse = (request) => {
      if (!parserFixed) throw new Error("unknown field");
      return parse(request);
    };
    const inbox = createWebhookInbox({ store: new MemoryStore(), clock: new ManualClock(), integrations: { acme: { provider } }, handler: () => {} });
    const { body, headers } = testWebhook(SECRET, [change("1", "2030-01-01T00:00:00Z")]);
    const { deliveryId } = JSON.parse((await inbox.receive({ integration: "acme", rawBody: Buffer.from(body), headers })).body);
    parserFixed = true;
    const results = await Promise.allSettled([inbox.reprocessDelivery(deliveryId), inbox.reprocessDelivery(deliveryId)]);
    expect(results.map((result) => result.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect((await inbox.listEvents({ deliveryId })).items).toHaveLength(1);
  });

  it("two instances on one store asked at the same time: the store's guard lets one queue the events, the other gets 409", async () => {
    const provider = testProvider({ secret: SECRET });
    let parserFixed = false;
    const parse = provider.parse.bind(provider);
    provider.parse = (request) => {
      if (!parserFixed) throw new Error("unknown field");
      return parse(request);
    };
    const store = new MemoryStore();
    const instance = () => createWebhookInbox({ store, clock: new ManualClock(), integrations: { acme: { provider } }, handler: () => {} });
    const [a, b] = [instance(), instance()];
    const { body, headers } = testWebhook(SECRET, [change("1", "2030-01-01T00:00:00Z")]);
    const { deliveryId } = JSON.parse((await a.receive({ integration: "acme", rawBody: Buffer.from(body), headers })).body);
    parserFixed = true;
    const results = await Promise.allSettled([a.reprocessDelivery(deliveryId), b.reprocessDelivery(deliveryId)]);
    expect(results.map((result) => result.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(results.find((result) => result.status === "rejected")?.reason).toMatchObject({ code: "CONFLICT", status: 409 });
    expect((await a.listEvents({ deliveryId })).items).toHaveLength(1);
  });
});
