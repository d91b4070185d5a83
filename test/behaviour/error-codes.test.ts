import { describe, expect, it } from "vitest";
import { MemoryStore, WebhookRequestError, createAdminHandler, createWebhookInbox, isWebhookInboxError } from "webhook-inbox";
import { ManualClock, testProvider, testWebhook } from "webhook-inbox/testing";
import { SECRET, change, setupInbox } from "../helpers/inbox.ts";

describe("error codes", () => {
  it("stop() aborts a running handler's signal with INBOX_STOPPING, not a handler failure", async () => {
    let reason: unknown;
    let running!: () => void;
    const started = new Promise<void>((resolve) => (running = resolve));
    const { inbox, api, send } = setupInbox({
      handler: (_event, { signal }) =>
        new Promise<void>((_, reject) => {
          running();
          signal.addEventListener("abort", () => reject((reason = signal.reason)));
        }),
    });
    api.set("t1", "invoice", "1", { Id: "1" });
    await inbox.start();
    await send([change("1", "2030-01-01T00:00:00Z")]);
    await started;
    await inbox.stop();
    expect(isWebhookInboxError(reason)).toBe(true);
    expect(reason).toMatchObject({ code: "INBOX_STOPPING", status: 503 });
  });

  it("re-processing a delivery that is not unparseable is a CONFLICT (409)", async () => {
    const { inbox, api, send } = setupInbox();
    api.set("t1", "invoice", "1", { Id: "1" });
    const { deliveryId } = JSON.parse((await send([change("1", "2030-01-01T00:00:00Z")])).body);
    const error = await inbox.reprocessDelivery(deliveryId).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "CONFLICT", status: 409 });
  });

  it("a second re-process of the same delivery while the first runs is a CONFLICT (409)", async () => {
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
    const rejected = results.find((result) => result.status === "rejected");
    expect(rejected?.reason).toMatchObject({ code: "CONFLICT", status: 409 });
  });

  it("a direct-mode delivery stopped by the provider's throttle is announced with RATE_LIMITED", async () => {
    const { inbox, api, send } = setupInbox({ mode: "direct" });
    api.set("t1", "invoice", "1", { Id: "1" });
    api.throttle("t1", { retryAfterMs: 30_000 });
    const codes: string[] = [];
    inbox.on("delivery:rejected", ({ code }) => codes.push(code));
    const answer = await send([change("1", "2030-01-01T00:00:00Z")]);
    expect([answer.status, answer.headers["retry-after"]]).toEqual([503, "30"]);
    expect(codes).toEqual(["RATE_LIMITED"]);
  });

  it("a direct-mode handler's own error is announced with HANDLER_FAILED", async () => {
    const { inbox, api, send } = setupInbox({ mode: "direct", handler: () => Promise.reject(new Error("boom")) });
    api.set("t1", "invoice", "1", { Id: "1" });
    const codes: string[] = [];
    inbox.on("delivery:rejected", ({ code }) => codes.push(code));
    expect((await send([change("1", "2030-01-01T00:00:00Z")])).status).toBe(500);
    expect(codes).toEqual(["HANDLER_FAILED"]);
  });
});

describe("admin request errors", () => {
  it("are WebhookRequestErrors in the library's hierarchy, answered with one body shape", async () => {
    const { inbox } = setupInbox();
    const thrown: unknown[] = [];
    const admin = createAdminHandler(inbox, { authorize: () => true, onError: (error: unknown) => thrown.push(error) });
    const bad = await admin(new Request("http://host/api/events?limit=0"));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: "REQUEST_INVALID", message: expect.stringContaining('"limit"'), param: "limit" } });
    const missing = await admin(new Request("http://host/api/nothing-here"));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: "NOT_FOUND", message: expect.any(String) } });
    const notAllowed = await admin(new Request("http://host/api/events", { method: "DELETE" }));
    expect([notAllowed.status, notAllowed.headers.get("allow")]).toEqual([405, expect.stringContaining("GET")]);
    expect(((await notAllowed.json()) as { error: { code: string } }).error.code).toBe("METHOD_NOT_ALLOWED");
    expect(thrown).toEqual([]);
    expect(new WebhookRequestError(400, "REQUEST_INVALID", "x", { details: { param: "p" } })).toMatchObject({
      status: 400,
      code: "REQUEST_INVALID",
      details: { param: "p" },
    });
  });
});
