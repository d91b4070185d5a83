import { once } from "node:events";
import type { AddressInfo } from "node:net";
import express from "express";
import Fastify from "fastify";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { StoreError, WebhookConfigError, createAdminHandler } from "webhook-inbox";
import { createExpressAdmin } from "webhook-inbox/express";
import { fastifyWebhookInboxAdmin as fastifyAdmin } from "webhook-inbox/fastify";
import { type Role, type Scenario, XSS, buildScenario, orphanDirectDelivery, roleAuthorize, startExpressAdmin } from "./scenario.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field in assertions
type Json = any;

let scenario: Scenario;
let server: Awaited<ReturnType<typeof startExpressAdmin>>;

async function call(
  path: string,
  options: { role?: Role; method?: string; body?: unknown; rawBody?: string; contentType?: string | null; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { "x-role": options.role ?? "admin", ...options.headers };
  const hasBody = options.body !== undefined || options.rawBody !== undefined;
  // Changes are JSON, as the dashboard sends them, even without a body.
  const isChange = hasBody || (options.method !== undefined && options.method !== "GET");
  if (isChange && options.contentType !== null) headers["content-type"] = options.contentType ?? "application/json";
  const response = await fetch(`${server.base}${path}`, {
    method: options.method ?? (hasBody ? "POST" : "GET"),
    headers,
    redirect: "manual",
    ...(hasBody ? { body: options.rawBody ?? JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  let json: Json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: response.status, headers: response.headers, text, json };
}

const ids = (items: readonly Json[]) => items.map((item) => item.id as string);

async function freshServer() {
  scenario = await buildScenario();
  server = await startExpressAdmin(scenario);
}

describe("admin API over Express (read-only routes)", () => {
  beforeAll(freshServer);
  afterAll(() => server.close());

  it("lists events newest first, with attempts remaining and without payloads", async () => {
    const { status, json } = await call("/api/events");
    expect(status).toBe(200);
    const all = await scenario.events();
    expect(ids(json.items)).toEqual(all.map((event) => event.id));
    expect(json.items).toHaveLength(9);
    expect(json.nextCursor).toBeNull();
    const failed = json.items.find((item: Json) => item.entityId === "inv-2");
    expect(failed).toMatchObject({ status: "failed", attemptsMade: 3, attemptsRemaining: 0, lastError: "handler refused inv-2" });
    expect(json.items.every((item: Json) => !("payload" in item))).toBe(true);
    const sorted = [...ids(json.items)].sort().reverse();
    expect(ids(json.items)).toEqual(sorted);
  });

  it.each([
    ["integration=ledger", (e: Json) => e.integration === "ledger", 2],
    ["integration=books,ledger", () => true, 9],
    ["tenantId=globex", (e: Json) => e.tenantId === "globex", 3],
    ["status=failed,stale", (e: Json) => ["failed", "stale"].includes(e.status), 2],
    ["status=retrying", (e: Json) => e.entityId === "inv-3", 1],
    ["status=queued", (e: Json) => e.entityId === "bill-2", 1],
    ["entityType=Customer", (e: Json) => e.entityType === "Customer", 2],
    ["entityId=inv-2", (e: Json) => e.entityId === "inv-2", 1],
    ["q=INV-", (e: Json) => e.entityId.startsWith("inv-"), 4],
    ["q=glob", (e: Json) => e.tenantId === "globex", 3],
    ["integration=books&tenantId=acme&status=succeeded", (e: Json) => e.integration === "books" && e.tenantId === "acme" && e.status === "succeeded", 3],
  ])("filters events by %s", async (query, predicate, count) => {
    const { status, json } = await call(`/api/events?${query}`);
    expect(status).toBe(200);
    expect(json.items).toHaveLength(count);
    expect(json.items.every(predicate)).toBe(true);
  });

  it("filters events by delivery and by received time (from inclusive, to exclusive)", async () => {
    const inv1 = await scenario.eventOf("inv-1");
    const byDelivery = await call(`/api/events?deliveryId=${inv1.deliveryId}`);
    expect(byDelivery.json.items.map((e: Json) => e.entityId).sort()).toEqual(["inv-1", "inv-2", "inv-9"]);

    const xss = await scenario.eventOf(XSS);
    const from = await call(`/api/events?receivedFrom=${encodeURIComponent(xss.receivedAt.toISOString())}`);
    expect(from.json.items.map((e: Json) => e.entityId)).toEqual(["bill-2", "inv-3", XSS]);
    const to = await call(`/api/events?receivedTo=${encodeURIComponent(xss.receivedAt.toISOString())}`);
    expect(to.json.items).toHaveLength(6);
    expect(to.json.items.some((e: Json) => e.entityId === XSS)).toBe(false);
    const window = await call(
      `/api/events?receivedFrom=${encodeURIComponent(xss.receivedAt.toISOString())}&receivedTo=${encodeURIComponent(new Date(xss.receivedAt.getTime() + 1).toISOString())}`,
    );
    expect(window.json.items.map((e: Json) => e.entityId)).toEqual([XSS]);
  });

  it("pages events with a cursor until the last page, without gaps or repeats", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { json }: { json: Json } = await call(`/api/events?limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(json.items.length).toBeLessThanOrEqual(4);
      seen.push(...ids(json.items));
      cursor = json.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(ids((await call("/api/events")).json.items));
    // Paging keeps the filter.
    const first = await call("/api/events?integration=books&limit=5");
    const second = await call(`/api/events?integration=books&limit=5&cursor=${encodeURIComponent(first.json.nextCursor)}`);
    expect([...first.json.items, ...second.json.items].every((e: Json) => e.integration === "books")).toBe(true);
    expect(first.json.items.length + second.json.items.length).toBe(7);
    expect(second.json.nextCursor).toBeNull();
  });

  it("shows one event with its details, attempts and resource data with download time", async () => {
    const inv2 = await scenario.eventOf("inv-2");
    const { status, json } = await call(`/api/events/${inv2.id}`);
    expect(status).toBe(200);
    expect(json).toMatchObject({ id: inv2.id, status: "failed", attemptsMade: 3, attemptsRemaining: 0, tenantId: "acme", entityType: "Invoice" });
    expect(json.payload).toMatchObject({ entityId: "inv-2", tenantId: "acme" });
    expect(json.attempts.map((a: Json) => [a.number, a.trigger, a.outcome])).toEqual([
      [1, "receive", "failed"],
      [2, "scheduler", "failed"],
      [3, "scheduler", "failed"],
    ]);
    expect(json.attempts[0].error).toBe("handler refused inv-2");
    expect(json.resourceData).toEqual({ data: { Id: "inv-2", TotalAmt: 99 }, downloadedAt: expect.any(String) });
    expect(new Date(json.resourceData.downloadedAt).toISOString()).toBe(json.resourceData.downloadedAt);

    const stale = await scenario.eventOf("cus-5", "stale");
    const newer = await scenario.eventOf("cus-5", "succeeded");
    expect((await call(`/api/events/${stale.id}`)).json).toMatchObject({ status: "stale", supersededBy: newer.id });
  });

  it("answers 404 for an unknown event and a path id it cannot hold", async () => {
    const missing = await call("/api/events/01890000-0000-7000-8000-000000000000");
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe("EVENT_NOT_FOUND");
    const odd = await call(`/api/events/${encodeURIComponent("a b<c>")}`);
    expect(odd.status).toBe(400);
    expect(odd.json.error.param).toBe("id");
  });

  it("counts events by status and integration, with the same filters", async () => {
    const { json } = await call("/api/counts");
    expect(json.total).toBe(9);
    expect(json.byStatus).toEqual({ queued: 1, processing: 0, retrying: 1, succeeded: 5, failed: 1, stale: 1 });
    expect(json.byIntegration).toEqual({ books: { succeeded: 4, failed: 1, stale: 1, retrying: 1 }, ledger: { succeeded: 1, queued: 1 } });
    const globex = await call("/api/counts?tenantId=globex");
    expect(globex.json.byStatus).toMatchObject({ succeeded: 2, queued: 1 });
    expect(globex.json.total).toBe(3);
    const failedBooks = await call("/api/counts?integration=books&status=failed,retrying");
    expect(failedBooks.json.total).toBe(2);
  });

  it("lists deliveries with filters and paging", async () => {
    const all = await call("/api/deliveries");
    expect(all.status).toBe(200);
    expect(ids(all.json.items)).toEqual(ids(await scenario.deliveries()));
    expect(all.json.items.every((d: Json) => !("rawBody" in d))).toBe(true);

    const unparseable = await call("/api/deliveries?status=unparseable");
    expect(ids(unparseable.json.items).sort()).toEqual([scenario.binaryId, scenario.unparseableId].sort());
    const rejected = await call("/api/deliveries?status=rejected&integration=ledger");
    expect(rejected.json.items).toHaveLength(1);
    expect(rejected.json.items[0]).toMatchObject({ status: "rejected", response: { status: 401 } });
    expect(rejected.json.items[0].reason).toMatch(/signature/);
    const globex = await call("/api/deliveries?tenantId=globex");
    expect(globex.json.items.every((d: Json) => d.tenantIds.includes("globex"))).toBe(true);
    expect(globex.json.items).toHaveLength(3);
    const byReason = await call("/api/deliveries?q=signature");
    expect(ids(byReason.json.items)).toEqual(ids(rejected.json.items));

    const first = await call("/api/deliveries?limit=4");
    expect(first.json.items).toHaveLength(4);
    const second = await call(`/api/deliveries?limit=50&cursor=${encodeURIComponent(first.json.nextCursor)}`);
    expect([...ids(first.json.items), ...ids(second.json.items)]).toEqual(ids(all.json.items));
    expect(second.json.nextCursor).toBeNull();
  });

  it("shows a delivery: redacted headers, the raw body as text, the response given and its events", async () => {
    const inv1 = await scenario.eventOf("inv-1");
    const { status, json } = await call(`/api/deliveries/${inv1.deliveryId}`);
    expect(status).toBe(200);
    expect(json.headers.authorization).toBe("[redacted]");
    expect(JSON.stringify(json)).not.toContain("must-not-be-shown");
    expect(json).toMatchObject({
      rawBody: scenario.firstBody,
      rawBodyEncoding: "utf-8",
      rawBodyBytes: Buffer.byteLength(scenario.firstBody),
      status: "accepted",
      tenantIds: ["acme", "globex"],
    });
    expect(json.response.status).toBe(202);
    expect(JSON.parse(json.response.body)).toMatchObject({ status: "accepted", message: "Webhook accepted for processing", events: 3 });
    expect(json.events.map((e: Json) => e.entityId).sort()).toEqual(["inv-1", "inv-2", "inv-9"]);

    const binary = await call(`/api/deliveries/${scenario.binaryId}`);
    expect(binary.json).toMatchObject({ status: "unparseable", rawBodyEncoding: "base64", rawBodyBytes: 5, events: [] });
    expect([...Buffer.from(binary.json.rawBody, "base64")]).toEqual([0xff, 0xfe, 0x00, 0x7b, 0x80]);
    expect(JSON.parse(binary.json.response.body).message).toMatch(/could not be parsed/);

    expect((await call("/api/deliveries/01890000-0000-7000-8000-000000000000")).status).toBe(404);
  });

  it("shows the settings and who the caller is", async () => {
    const { json } = await call("/api/settings");
    expect(json).toEqual({
      serviceEnabled: true,
      serviceChange: null,
      integrations: [
        { id: "books", provider: "test", mode: "immediate", effectiveMode: "immediate", modeChange: null, webhookUrl: null },
        { id: "ledger", provider: "ledger", mode: "immediate", effectiveMode: "immediate", modeChange: null, webhookUrl: null },
      ],
      shared: true,
      refreshMs: 5_000,
      access: { tenants: null, readOnly: false, canRetry: true, canChangeSettings: true },
    });
  });

  it.each([
    ["/api/events?status=bogus", "status"],
    ["/api/events?status=failed,nope", "status"],
    ["/api/events?limit=0", "limit"],
    ["/api/events?limit=501", "limit"],
    ["/api/events?limit=abc", "limit"],
    ["/api/events?limit=2.5", "limit"],
    ["/api/events?receivedFrom=yesterday", "receivedFrom"],
    ["/api/events?receivedTo=2030-13-01T00:00:00Z", "receivedTo"],
    ["/api/events?entityId=", "entityId"],
    ["/api/events?q=" + "x".repeat(201), "q"],
    ["/api/events?sort=asc", "sort"],
    ["/api/events?status=failed&status=stale", "status"],
    ["/api/counts?integration=", "integration"],
    ["/api/counts?limit=5", "limit"],
    ["/api/deliveries?status=succeeded", "status"],
    ["/api/deliveries?entityId=x", "entityId"],
    ["/api/deliveries?cursor=", "cursor"],
  ])("refuses %s with 400 naming %s", async (path, param) => {
    const { status, json } = await call(path);
    expect(status).toBe(400);
    expect(json.error.code).toBe("REQUEST_INVALID");
    expect(json.error.param).toBe(param);
    expect(json.error.message).toContain(`"${param}"`);
  });

  it("answers unknown routes 404 and wrong methods 405", async () => {
    expect((await call("/api/nothing")).status).toBe(404);
    const wrong = await call("/api/events", { method: "DELETE" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET");
    expect((await call("/api/settings/service", { method: "POST", body: { enabled: true } })).status).toBe(405);
  });

  it("serves the dashboard page and its assets under the mount path", async () => {
    const redirect = await call("");
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get("location")).toBe("/admin/");
    const page = await call("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(page.text).toContain('src="assets/app.js"');
    const app = await call("/assets/app.js");
    expect(app.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(app.text).toContain("hashchange");
    const css = await call("/assets/styles.css");
    expect(css.headers.get("content-type")).toMatch(/^text\/css/);
    expect((await call("/assets/missing.js")).status).toBe(404);
    expect((await call("/assets/constructor")).status).toBe(404);
  });

  it("ships assets that never parse data as HTML", async () => {
    for (const name of ["app.js", "api.js", "dom.js", "log-view.js", "event-view.js", "deliveries-view.js", "settings-view.js"]) {
      const { status, text } = await call(`/assets/${name}`);
      expect(status, name).toBe(200);
      expect(text, name).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    }
  });
});

describe("admin API over Express (actions)", () => {
  beforeEach(freshServer);
  afterEach(() => server.close());

  it("retries one event now as a manual attempt", async () => {
    const inv2 = await scenario.eventOf("inv-2");
    scenario.failing.delete("inv-2");
    const { status, json } = await call(`/api/events/${inv2.id}/retry`, { method: "POST" });
    expect(status).toBe(200);
    expect(json.event).toMatchObject({ id: inv2.id, status: "succeeded", attemptsMade: 3 });
    expect(json.event.attempts.at(-1)).toMatchObject({ number: 4, trigger: "manual", outcome: "succeeded" });
    expect((await scenario.inbox.getEvent(inv2.id))?.status).toBe("succeeded");

    const again = await call(`/api/events/${inv2.id}/retry`, { method: "POST" });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe("EVENT_NOT_RETRYABLE");
    expect((await call("/api/events/01890000-0000-7000-8000-000000000000/retry", { method: "POST" })).status).toBe(404);
  });

  it("retries many events by id; succeeded ones are skipped", async () => {
    const inv2 = await scenario.eventOf("inv-2");
    const inv3 = await scenario.eventOf("inv-3");
    const inv1 = await scenario.eventOf("inv-1");
    const { status, json } = await call("/api/events/retry", { body: { ids: [inv2.id, inv3.id, inv1.id, inv2.id] } });
    expect(status).toBe(200);
    expect(json.requeued.sort()).toEqual([inv2.id, inv3.id].sort());
    expect(json.skipped).toEqual([inv1.id]);
    expect((await scenario.inbox.getEvent(inv2.id))?.status).toBe("queued");
    scenario.failing.clear();
    await scenario.inbox.drain();
    expect((await scenario.inbox.getEvent(inv2.id))?.status).toBe("succeeded");
    expect((await scenario.inbox.getEvent(inv3.id))?.status).toBe("succeeded");
  });

  it("retries by filter only with the confirmation count", async () => {
    const filter = { integration: "books", status: ["failed", "stale"] };
    const ask = await call("/api/events/retry", { body: { filter } });
    expect(ask.status).toBe(409);
    expect(ask.json.error).toMatchObject({ code: "COUNT_MISMATCH", count: 2 });
    const wrong = await call("/api/events/retry", { body: { filter, expectedCount: 3 } });
    expect(wrong.status).toBe(409);
    expect(wrong.json.error.count).toBe(2);
    expect((await scenario.events()).filter((event) => event.status === "queued")).toHaveLength(1);

    const confirmed = await call("/api/events/retry", { body: { filter, expectedCount: 2 } });
    expect(confirmed.status).toBe(200);
    const expected = [(await scenario.eventOf("inv-2")).id, (await scenario.eventOf("cus-5", "queued")).id];
    expect(confirmed.json.requeued.sort()).toEqual(expected.sort());

    // Succeeded events are not counted: nothing to confirm.
    const none = await call("/api/events/retry", { body: { filter: { status: "succeeded" } } });
    expect(none.json.error.count).toBe(0);
    expect((await call("/api/events/retry", { body: { filter: { status: "succeeded" }, expectedCount: 0 } })).json).toEqual({ requeued: [], skipped: [] });
  });

  it("does not sweep events that arrived after the count into a filter retry", async () => {
    const ask = await call("/api/events/retry", { body: { filter: { integration: "ledger" } } });
    expect(ask.json.error.count).toBe(1);
    scenario.clock.advance(5_000);
    const { body, headers } = (await import("webhook-inbox/testing")).testWebhook("ledger-secret", [
      { tenantId: "globex", entityType: "Bill", entityId: "bill-3", occurredAt: "2030-01-01T00:00:00Z" },
    ]);
    await scenario.inbox.receive({ integration: "ledger", rawBody: Buffer.from(body), headers });
    // Now 2 match; confirming 1 is refused rather than silently retrying the newcomer.
    const stale = await call("/api/events/retry", { body: { filter: { integration: "ledger" }, expectedCount: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.json.error.count).toBe(2);
  });

  it("re-processes an unparseable delivery once its cause is fixed", async () => {
    const refused = await call(`/api/deliveries/${scenario.unparseableId}/reprocess`, { method: "POST" });
    expect(refused.status).toBe(400);
    expect(refused.json.error.code).toBe("PAYLOAD_INVALID");
    expect(refused.text).not.toMatch(/\n\s+at /);

    scenario.parser.lenient = true;
    const { status, json } = await call(`/api/deliveries/${scenario.unparseableId}/reprocess`, { method: "POST" });
    expect(status).toBe(200);
    expect(json.delivery).toMatchObject({ id: scenario.unparseableId, status: "accepted", tenantIds: ["acme"] });
    expect(json.delivery.events).toHaveLength(1);
    expect(json.delivery.events[0]).toMatchObject({ entityId: "inv-7", status: "queued" });

    const inv1 = await scenario.eventOf("inv-1");
    const notUnparseable = await call(`/api/deliveries/${inv1.deliveryId}/reprocess`, { method: "POST" });
    expect(notUnparseable.status).toBe(409);
  });

  it("switches the service and changes an integration's mode", async () => {
    const off = await call("/api/settings/service", { method: "PUT", body: { enabled: false } });
    expect(off.status).toBe(200);
    expect(off.json.serviceEnabled).toBe(false);
    expect(off.json.integrations.every((i: Json) => i.effectiveMode === "direct")).toBe(true);
    expect(scenario.inbox.serviceEnabled).toBe(false);
    await call("/api/settings/service", { method: "PUT", body: { enabled: true } });

    const delayed = await call("/api/settings/integrations/ledger", { method: "PUT", body: { mode: "delayed" } });
    expect(delayed.status).toBe(200);
    expect(delayed.json.integrations.find((i: Json) => i.id === "ledger")).toMatchObject({ mode: "delayed", effectiveMode: "delayed" });
    expect(scenario.inbox.getMode("ledger")).toBe("delayed");
    // `true` names nobody; an `actor` in the decision is recorded as who made the change.
    const changedAt = scenario.clock.now().toISOString();
    expect(delayed.json.integrations.find((i: Json) => i.id === "ledger").modeChange).toEqual({ changedAt, changedBy: null });
    const named = await call("/api/settings/integrations/ledger", { role: "ops", method: "PUT", body: { mode: "immediate" } });
    expect(named.json.integrations.find((i: Json) => i.id === "ledger").modeChange).toEqual({ changedAt, changedBy: "ops@example.com" });
    expect(named.json.serviceChange).toEqual({ changedAt, changedBy: null });
    expect(named.json.integrations.find((i: Json) => i.id === "books").modeChange).toBeNull();

    const unknown = await call("/api/settings/integrations/nope", { method: "PUT", body: { mode: "direct" } });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe("INTEGRATION_UNKNOWN");
  });

  it.each([
    [{ body: { mode: "fast" }, path: "/api/settings/integrations/books", method: "PUT" }, 400, "mode"],
    [{ body: { enabled: "yes" }, path: "/api/settings/service", method: "PUT" }, 400, "enabled"],
    [{ body: { enabled: true, extra: 1 }, path: "/api/settings/service", method: "PUT" }, 400, "extra"],
    [{ body: { ids: "abc" }, path: "/api/events/retry", method: "POST" }, 400, "ids"],
    [{ body: { ids: [] }, path: "/api/events/retry", method: "POST" }, 400, "ids"],
    [{ body: { filter: { status: "nope" } }, path: "/api/events/retry", method: "POST" }, 400, "filter.status"],
    [{ body: { filter: {}, expectedCount: -1 }, path: "/api/events/retry", method: "POST" }, 400, "expectedCount"],
    [{ rawBody: "{not json", path: "/api/events/retry", method: "POST" }, 400, "body"],
    [{ rawBody: "", path: "/api/settings/service", method: "PUT" }, 400, "body"],
  ])("refuses a bad body %j with %i naming %s", async ({ path, method, ...rest }, status, param) => {
    const response = await call(path, { method, ...rest });
    expect(response.status).toBe(status);
    expect(response.json.error.param).toBe(param);
    expect(scenario.inbox.serviceEnabled).toBe(true);
    expect(scenario.inbox.getMode("books")).toBe("immediate");
  });

  it("requires JSON for changes and refuses them from another site", async () => {
    const inv2 = await scenario.eventOf("inv-2");
    const form = await call("/api/settings/service", { method: "PUT", rawBody: "enabled=false", contentType: "application/x-www-form-urlencoded" });
    expect(form.status).toBe(415);
    const noType = await call(`/api/events/${inv2.id}/retry`, { method: "POST", rawBody: "", contentType: null });
    expect(noType.status).toBe(415);
    const crossSite = await call("/api/settings/service", { method: "PUT", body: { enabled: false }, headers: { "sec-fetch-site": "cross-site" } });
    expect(crossSite.status).toBe(403);
    expect(scenario.inbox.serviceEnabled).toBe(true);
    expect((await scenario.inbox.getEvent(inv2.id))?.attempts).toHaveLength(3);
  });
});

describe("admin authorization", () => {
  beforeEach(freshServer);
  afterEach(() => server.close());

  it("refuses to mount without an authorize hook", async () => {
    const { inbox } = scenario;
    expect(() => createExpressAdmin(inbox, {} as never)).toThrow(WebhookConfigError);
    expect(() => createExpressAdmin(inbox, undefined as never)).toThrow(/authorize is required/);
    expect(() => createExpressAdmin(inbox, { authorize: true } as never)).toThrow(/authorize/);
    expect(() => createAdminHandler(inbox, {} as never)).toThrow(WebhookConfigError);
    expect(() => createAdminHandler({} as never, { authorize: () => true })).toThrow(/inbox/);
    const app = Fastify();
    await expect(app.register(fastifyAdmin, { inbox } as never)).rejects.toThrow(/authorize is required/);
    await app.close();
  });

  it("answers a refused caller 401 on every route, the page and the assets, and changes nothing", async () => {
    const inv2 = await scenario.eventOf("inv-2");
    const routes: [string, string, unknown?][] = [
      ["GET", ""],
      ["GET", "/"],
      ["GET", "/assets/app.js"],
      ["GET", "/assets/styles.css"],
      ["GET", "/api/events"],
      ["GET", `/api/events/${inv2.id}`],
      ["GET", "/api/counts"],
      ["GET", "/api/deliveries"],
      ["GET", `/api/deliveries/${inv2.deliveryId}`],
      ["GET", "/api/settings"],
      ["GET", "/api/nothing"],
      ["POST", `/api/events/${inv2.id}/retry`, {}],
      ["POST", "/api/events/retry", { ids: [inv2.id] }],
      ["POST", "/api/events/retry", { filter: {}, expectedCount: 4 }],
      ["POST", `/api/deliveries/${scenario.unparseableId}/reprocess`, {}],
      ["PUT", "/api/settings/service", { enabled: false }],
      ["PUT", "/api/settings/integrations/books", { mode: "direct" }],
    ];
    for (const [method, path, body] of routes) {
      const response = await call(path, { role: "nobody", method, ...(body === undefined ? {} : { body }) });
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(response.text, `${method} ${path}`).not.toContain("<html");
    }
    expect(scenario.inbox.serviceEnabled).toBe(true);
    expect(scenario.inbox.getMode("books")).toBe("immediate");
    expect((await scenario.inbox.getEvent(inv2.id))?.attempts).toHaveLength(3);
    expect((await scenario.events()).filter((event) => event.status === "queued")).toHaveLength(1);
  });

  it("treats an authorize answer that is not a documented one as a refusal", async () => {
    await server.close();
    server = await startExpressAdmin(scenario, (() => undefined) as never);
    expect((await call("/api/events")).status).toBe(401);
    await server.close();
    server = await startExpressAdmin(scenario, () => ({ tenants: "acme" }) as never);
    expect((await call("/api/events")).status).toBe(401);
  });

  it("hands the hook the Fetch Request and the Express request", async () => {
    await server.close();
    const seen: { url: string; cookie: string | null; nativeUrl: string | undefined }[] = [];
    server = await startExpressAdmin(scenario, (request, req) => {
      seen.push({ url: request.url, cookie: request.headers.get("cookie"), nativeUrl: req.originalUrl });
      return true;
    });
    await call("/api/counts?status=failed", { headers: { cookie: "session=abc" } });
    expect(seen).toEqual([{ url: `${server.base}/api/counts?status=failed`, cookie: "session=abc", nativeUrl: "/admin/api/counts?status=failed" }]);
  });

  it("restricts a tenant-scoped caller's lists, counts and deliveries to its tenants", async () => {
    const events = await call("/api/events", { role: "acme" });
    expect(events.json.items).toHaveLength(6);
    expect(events.json.items.every((e: Json) => e.tenantId === "acme")).toBe(true);
    expect((await call("/api/events?tenantId=globex", { role: "acme" })).json.items).toEqual([]);
    expect((await call("/api/events?tenantId=globex,acme", { role: "acme" })).json.items).toHaveLength(6);
    expect((await call("/api/events?q=inv-9", { role: "acme" })).json.items).toEqual([]);
    expect((await call("/api/events?integration=ledger", { role: "acme" })).json.items).toEqual([]);

    const counts = await call("/api/counts", { role: "acme" });
    expect(counts.json.total).toBe(6);
    expect(counts.json.byIntegration.ledger).toBeUndefined();
    expect((await call("/api/counts?tenantId=globex", { role: "acme" })).json.total).toBe(0);

    const deliveries = await call("/api/deliveries", { role: "acme" });
    expect(deliveries.json.items.length).toBeGreaterThan(0);
    expect(deliveries.json.items.every((d: Json) => d.tenantIds.includes("acme"))).toBe(true);
    expect((await call("/api/deliveries?status=unparseable", { role: "acme" })).json.items).toEqual([]);

    // A delivery naming acme and globex is visible, but only acme's events come with it.
    const inv1 = await scenario.eventOf("inv-1");
    const shared = await call(`/api/deliveries/${inv1.deliveryId}`, { role: "acme" });
    expect(shared.status).toBe(200);
    expect(shared.json.events.map((e: Json) => e.entityId).sort()).toEqual(["inv-1", "inv-2"]);
    // It also carries globex's change: the other tenant's id and the raw body (its changes) are withheld.
    expect(shared.json).toMatchObject({ tenantIds: ["acme"], tenantsWithheld: true, rawBodyWithheld: true, rawBody: "", eventCount: 2 });
    expect(shared.text).not.toContain("globex");
    expect(shared.text).not.toContain("inv-9");
    expect(deliveries.text).not.toContain("globex");
    const full = await call(`/api/deliveries/${inv1.deliveryId}`);
    expect(full.json).toMatchObject({ tenantIds: ["acme", "globex"], tenantsWithheld: false, rawBodyWithheld: false, rawBody: scenario.firstBody });
    const settings = await call("/api/settings", { role: "acme" });
    expect(settings.json.access).toEqual({ tenants: ["acme"], readOnly: false, canRetry: true, canChangeSettings: false });
  });

  it("answers 404 to a tenant-scoped caller for another tenant's event or delivery, by id", async () => {
    const inv9 = await scenario.eventOf("inv-9");
    const bill1 = await scenario.eventOf("bill-1");
    const own = await scenario.eventOf("inv-1");
    expect((await call(`/api/events/${own.id}`, { role: "acme" })).status).toBe(200);
    const other = await call(`/api/events/${inv9.id}`, { role: "acme" });
    expect(other.status).toBe(404);
    expect(other.json.error.code).toBe("EVENT_NOT_FOUND");
    expect((await call(`/api/deliveries/${bill1.deliveryId}`, { role: "acme" })).status).toBe(404);
    expect((await call(`/api/deliveries/${scenario.unparseableId}`, { role: "acme" })).status).toBe(404);
    expect((await call(`/api/deliveries/${scenario.unparseableId}/reprocess`, { role: "acme", method: "POST" })).status).toBe(404);
  });

  it("never lets a tenant-scoped caller retry another tenant's events, by id or by filter", async () => {
    const bill2 = await scenario.eventOf("bill-2");
    const inv9 = await scenario.eventOf("inv-9");
    const inv2 = await scenario.eventOf("inv-2");
    const before = await scenario.inbox.getEvent(bill2.id);

    expect((await call(`/api/events/${bill2.id}/retry`, { role: "acme", method: "POST" })).status).toBe(404);
    const mixed = await call("/api/events/retry", { role: "acme", body: { ids: [inv2.id, bill2.id] } });
    expect(mixed.status).toBe(404);
    expect(mixed.json.error.message).toContain(bill2.id);
    // The whole request was refused: acme's own event was not re-queued either.
    expect((await scenario.inbox.getEvent(inv2.id))?.status).toBe("failed");

    // By filter: globex is filtered out of the count and of the retry.
    const ask = await call("/api/events/retry", { role: "acme", body: { filter: { tenantId: "globex" } } });
    expect(ask.json.error.count).toBe(0);
    const everything = await call("/api/events/retry", { role: "acme", body: { filter: {} } });
    // acme's retryable events: inv-2 (failed), cus-5 (stale), inv-3 (retrying); succeeded ones never count.
    expect(everything.json.error.count).toBe(3);
    const done = await call("/api/events/retry", { role: "acme", body: { filter: {}, expectedCount: everything.json.error.count } });
    expect(done.status).toBe(200);
    const requeued = await Promise.all(done.json.requeued.map((id: string) => scenario.inbox.getEvent(id)));
    expect(requeued.every((event) => event?.tenantId === "acme")).toBe(true);
    expect(await scenario.inbox.getEvent(bill2.id)).toEqual(before);
    expect((await scenario.inbox.getEvent(inv9.id))?.status).toBe("succeeded");
  });

  it("lets a tenant-scoped caller read settings but not change them", async () => {
    const service = await call("/api/settings/service", { role: "acme", method: "PUT", body: { enabled: false } });
    expect(service.status).toBe(403);
    expect(service.json.error.code).toBe("FORBIDDEN");
    const mode = await call("/api/settings/integrations/books", { role: "acme", method: "PUT", body: { mode: "direct" } });
    expect(mode.status).toBe(403);
    expect(scenario.inbox.serviceEnabled).toBe(true);
    expect(scenario.inbox.getMode("books")).toBe("immediate");
  });
});

describe("admin failures", () => {
  it("answers 500 without the message or a stack, and tells onError", async () => {
    const scenario = await buildScenario();
    const errors: unknown[] = [];
    const broken = Object.create(scenario.inbox) as typeof scenario.inbox;
    broken.listEvents = async () => {
      throw new Error("connection refused at /var/secret/db.sock");
    };
    const handler = createAdminHandler(broken, { authorize: () => true, basePath: "/admin", onError: (error) => errors.push(error) });
    const response = await handler(new Request("http://localhost/admin/api/events"));
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body).not.toContain("secret");
    expect(body).not.toMatch(/\bat\b.*:\d+/);
    expect(JSON.parse(body).error.code).toBe("INTERNAL_ERROR");
    expect(errors).toHaveLength(1);

    broken.countEvents = async () => {
      throw new StoreError("postgres", "connect ECONNREFUSED 10.0.0.7:5432 as user billing");
    };
    const outage = await handler(new Request("http://localhost/admin/api/counts"));
    expect(outage.status).toBe(503);
    const outageBody = await outage.text();
    expect(JSON.parse(outageBody).error.code).toBe("STORE_FAILED");
    expect(outageBody).not.toContain("ECONNREFUSED");
    expect(errors).toHaveLength(2);

    const throwingHook = createAdminHandler(scenario.inbox, {
      authorize: () => {
        throw new Error("session store down");
      },
      onError: () => {},
    });
    const refused = await throwingHook(new Request("http://localhost/api/events"));
    expect(refused.status).toBe(500);
    expect(await refused.text()).not.toContain("session store");
  });

  it("serves nothing outside its base path", async () => {
    const scenario = await buildScenario();
    let calls = 0;
    const handler = createAdminHandler(scenario.inbox, { authorize: () => ((calls += 1), true), basePath: "/ops/" });
    expect((await handler(new Request("http://localhost/opsx/api/events"))).status).toBe(404);
    expect((await handler(new Request("http://localhost/api/events"))).status).toBe(404);
    expect(calls).toBe(0);
    expect((await handler(new Request("http://localhost/ops/api/events"))).status).toBe(200);
  });
});

describe("admin over Express behind the host's body parser", () => {
  it("reads bodies that express.json() already parsed, under a nested mount path", async () => {
    const scenario = await buildScenario();
    const app = express();
    app.use(express.json());
    const ops = express.Router();
    ops.use("/webhooks", createExpressAdmin(scenario.inbox, { authorize: roleAuthorize }));
    app.use("/ops", ops);
    const server = app.listen(0, "127.0.0.1");
    await once(server, "listening");
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ops/webhooks`;
    try {
      const put = await fetch(`${base}/api/settings/integrations/books`, {
        method: "PUT",
        headers: { "x-role": "admin", "content-type": "application/json" },
        body: JSON.stringify({ mode: "delayed" }),
      });
      expect(put.status).toBe(200);
      expect(scenario.inbox.getMode("books")).toBe("delayed");
      const bad = await fetch(`${base}/api/settings/service`, {
        method: "PUT",
        headers: { "x-role": "admin", "content-type": "application/json" },
        body: JSON.stringify({ enabled: "no" }),
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as Json).error.param).toBe("enabled");
      const redirect = await fetch(base, { headers: { "x-role": "admin" }, redirect: "manual" });
      expect(redirect.headers.get("location")).toBe("/ops/webhooks/");
      expect((await fetch(`${base}/api/counts`, { headers: { "x-role": "admin" } })).status).toBe(200);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("admin over Fastify", () => {
  it("serves the API, the page and the actions under the plugin prefix, behind authorize", async () => {
    const scenario = await buildScenario();
    const app = Fastify();
    await app.register(fastifyAdmin, {
      inbox: scenario.inbox,
      prefix: "/ops",
      authorize: (request, fastifyRequest) => {
        expect(fastifyRequest.url).toBe(new URL(request.url).pathname + new URL(request.url).search);
        return roleAuthorize(request, undefined as never);
      },
    });
    const address = await app.listen({ port: 0, host: "127.0.0.1" });
    try {
      const get = (path: string, role: Role = "admin") => fetch(`${address}/ops${path}`, { headers: { "x-role": role }, redirect: "manual" });
      const list = await get("/api/events?status=failed");
      expect(list.status).toBe(200);
      const failed = (await list.json()) as Json;
      expect(failed.items.map((e: Json) => e.entityId)).toEqual(["inv-2"]);
      expect((await get("/api/events?status=nope")).status).toBe(400);
      expect((await get("/api/events", "nobody")).status).toBe(401);
      expect((await get("/", "nobody")).status).toBe(401);
      const acme = (await (await get("/api/events", "acme")).json()) as Json;
      expect(acme.items.every((e: Json) => e.tenantId === "acme")).toBe(true);

      const page = await get("/");
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("assets/app.js");
      expect((await get("")).headers.get("location")).toBe("/ops/");
      expect((await get("/assets/dom.js")).status).toBe(200);

      scenario.failing.delete("inv-2");
      const retry = await fetch(`${address}/ops/api/events/retry`, {
        method: "POST",
        headers: { "x-role": "admin", "content-type": "application/json" },
        body: JSON.stringify({ ids: [failed.items[0].id] }),
      });
      expect(retry.status).toBe(200);
      expect(((await retry.json()) as Json).requeued).toEqual([failed.items[0].id]);
      const mode = await fetch(`${address}/ops/api/settings/integrations/books`, {
        method: "PUT",
        headers: { "x-role": "admin", "content-type": "application/json" },
        body: JSON.stringify({ mode: "delayed" }),
      });
      expect(mode.status).toBe(200);
      expect(scenario.inbox.getMode("books")).toBe("delayed");
      const bad = await fetch(`${address}/ops/api/settings/service`, {
        method: "PUT",
        headers: { "x-role": "admin", "content-type": "application/json" },
        body: "{",
      });
      expect(bad.status).toBe(400);
    } finally {
      await app.close();
    }
  });
});

describe("admin API: re-processing a direct delivery left without an outcome", () => {
  beforeAll(freshServer);
  afterAll(() => server.close());

  it("queues its events once (of two racing requests, one applies), runs the handler through a pass, and answers the resend duplicate", async () => {
    const { request, deliveryId } = await orphanDirectDelivery(scenario, "inv-40");
    const shown = await call(`/api/deliveries/${deliveryId}`);
    expect(shown.json).toMatchObject({ status: "accepted", response: null, eventCount: 0, reprocessable: true });

    const racing = await Promise.all([1, 2].map(() => call(`/api/deliveries/${deliveryId}/reprocess`, { method: "POST" })));
    expect(racing.map((r) => r.status).sort()).toEqual([200, 409]);
    const { json } = racing.find((r) => r.status === 200)!;
    expect(json.delivery).toMatchObject({ id: deliveryId, status: "failed", reprocessable: false, eventCount: 1 });
    expect(json.delivery.reason).toContain("re-processed by an operator: 1 event queued");
    expect(json.delivery.events).toHaveLength(1);
    expect(json.delivery.events[0]).toMatchObject({ entityId: "inv-40", status: "queued", mode: "immediate" });
    expect(racing.find((r) => r.status === 409)!.json.error.code).toBe("CONFLICT");

    // A durable pass runs the handler; the provider's resend is a duplicate of work that is queued.
    await scenario.inbox.drain();
    expect((await scenario.eventOf("inv-40")).status).toBe("succeeded");
    const resend = await scenario.inbox.receive({ integration: "books", rawBody: Buffer.from(request.body), headers: request.headers });
    expect(resend.status).toBe(200);
    expect((await scenario.deliveryWhere((d) => d.duplicateOf === deliveryId)).status).toBe("duplicate");
    expect((await scenario.events()).filter((event) => event.entityId === "inv-40")).toHaveLength(1);

    expect((await call(`/api/deliveries/${deliveryId}/reprocess`, { method: "POST" })).status).toBe(409);
  });

  it("refuses a direct delivery that has its outcome", async () => {
    const { body, headers } = (await import("webhook-inbox/testing")).testWebhook("books-secret", [
      { tenantId: "acme", entityType: "Invoice", entityId: "inv-1", occurredAt: "2029-12-31T23:59:30.000Z" },
    ]);
    expect((await scenario.inbox.receive({ integration: "books", rawBody: Buffer.from(body), headers })).status).toBe(200);
    const processed = await scenario.deliveryWhere((d) => d.status === "processed");
    expect((await call(`/api/deliveries/${processed.id}`)).json.reprocessable).toBe(false);
    const refused = await call(`/api/deliveries/${processed.id}/reprocess`, { method: "POST" });
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toContain("only unparseable deliveries and direct deliveries without a recorded outcome");
  });
});
