/**
 * The admin surface under attack: every route (and the page and its assets) refused without
 * authorization, tenant scoping on every query and every retry, parameters validated (fuzzed: never
 * a 500), and stored strings that look like markup never able to run in the dashboard.
 */
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { ADMIN_ROUTES, type AdminAccessDecision, MemoryStore, type WebhookProcessor, createAdminHandler, createWebhookInbox } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";
import { ManualClock, TestApi, testProvider, testWebhook } from "webhook-inbox/testing";
import { silentLogger } from "../reliability/support.ts";

const SECRET = "admin-security-secret";
const BASE = "http://admin.test/admin";
const XSS = `<img src=x onerror="globalThis.__pwned=1"><script>globalThis.__pwned=1</script>`;

async function setup() {
  const clock = new ManualClock(new Date());
  const api = new TestApi();
  const inbox = createWebhookInbox({
    store: new MemoryStore(),
    clock,
    integrations: { acme: { provider: testProvider({ secret: SECRET, api }), mode: "immediate" } },
    handler: (event) => {
      if (event.entityId.startsWith("fail")) throw new Error(`handler failed: ${XSS}`);
    },
    maxAttempts: 1,
    logger: silentLogger,
  });
  const send = async (changes: { tenantId: string; entityId: string }[], headers: Record<string, string> = {}) => {
    const webhook = testWebhook(
      SECRET,
      changes.map((change) => ({ ...change, entityType: "invoice", occurredAt: clock.now().toISOString() })),
    );
    clock.advance(1);
    const answer = await inbox.receive({ integration: "acme", rawBody: Buffer.from(webhook.body), headers: { ...webhook.headers, ...headers } });
    return JSON.parse(answer.body) as { deliveryId: string };
  };
  const t1 = await send([{ tenantId: "t1", entityId: "fail-1" }], { "x-note": XSS });
  const t2 = await send([{ tenantId: "t2", entityId: "fail-2" }]);
  const both = await send([
    { tenantId: "t1", entityId: "fail-3" },
    { tenantId: "t2-secret-company", entityId: "fail-4" },
  ]);
  // A correctly signed body that does not parse: names no tenant.
  const junk = Buffer.from(`{"changes": "${XSS.replaceAll('"', "'")}"}`);
  const { headers } = testWebhook(SECRET, []);
  await inbox.receive({
    integration: "acme",
    rawBody: junk,
    headers: { ...headers, "x-test-signature": (await import("webhook-inbox/testing")).signTestPayload(junk, SECRET) },
  });
  await inbox.drain();
  const events = (await inbox.listEvents({ limit: 100 })).items;
  const id = (entityId: string) => events.find((event) => event.entityId === entityId)!.id;
  return { inbox, clock, deliveries: { t1: t1.deliveryId, t2: t2.deliveryId, both: both.deliveryId }, id };
}

function handlerFor(inbox: WebhookProcessor, decision: () => unknown) {
  return createAdminHandler(inbox, { basePath: "/admin", authorize: () => decision() as AdminAccessDecision, onError: () => {} });
}

const json = (body: unknown) => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("admin: authorization", () => {
  let env: Awaited<ReturnType<typeof setup>>;
  beforeEach(async () => {
    env = await setup();
  });

  it.each([
    ["false", () => false],
    ["undefined", () => undefined],
    ["null", () => null],
    ["a truthy string", () => "yes"],
    ["1", () => 1],
    ["tenants not an array", () => ({ tenants: "t1" })],
    ["an unknown shape", () => ({ admin: true })],
    ["a rejected promise", () => Promise.reject(new Error("session store down"))],
    [
      "a throw",
      () => {
        throw new Error("auth backend down");
      },
    ],
  ])("authorize answering %s refuses every route, the page and its assets, and changes nothing", async (_label, decision) => {
    const admin = handlerFor(env.inbox, decision);
    const eventId = env.id("fail-1");
    const requests: [string, RequestInit?][] = [[`${BASE}/`], [`${BASE}/index.html`], [`${BASE}/assets/app.js`], [`${BASE}/assets/styles.css`], [BASE]];
    // Every route in the table, with its parameters filled in.
    for (const route of ADMIN_ROUTES) {
      const path = route.pattern.replace(
        ":id",
        route.pattern.startsWith("deliveries") ? env.deliveries.t1 : route.pattern.startsWith("settings") ? "acme" : eventId,
      );
      const init: RequestInit =
        route.method === "GET"
          ? {}
          : {
              ...json(
                route.pattern === "settings/service"
                  ? { enabled: false }
                  : route.pattern.startsWith("settings")
                    ? { mode: "direct" }
                    : route.pattern === "events/retry"
                      ? { ids: [eventId] }
                      : {},
              ),
              method: route.method,
            };
      requests.push([`${BASE}/api/${path}`, init]);
    }
    expect(requests.length).toBeGreaterThan(ADMIN_ROUTES.length);
    for (const [url, init] of requests) {
      const response = await admin(new Request(url, init));
      const text = await response.text();
      expect([401, 500], `${init?.method ?? "GET"} ${url}`).toContain(response.status);
      expect(text).not.toContain(eventId);
      expect(text).not.toContain("fail-1");
      expect(text).not.toContain("<script");
      expect(text).not.toContain("backend down");
    }
    expect(env.inbox.serviceEnabled).toBe(true);
    expect(env.inbox.getMode("acme")).toBe("immediate");
    expect((await env.inbox.getEvent(eventId))!.status).toBe("failed");
  });

  it.each([
    ["read-only", { readOnly: true }],
    ["read-only for one tenant", { readOnly: true, tenants: ["t1"] }],
  ])("a %s caller reads every route but every change is refused with 403 READ_ONLY", async (_label, decision) => {
    const admin = handlerFor(env.inbox, () => decision);
    const eventId = env.id("fail-1");
    for (const route of ADMIN_ROUTES) {
      const path = route.pattern.replace(
        ":id",
        route.pattern.startsWith("deliveries") ? env.deliveries.t1 : route.pattern.startsWith("settings") ? "acme" : eventId,
      );
      const body =
        route.pattern === "settings/service"
          ? { enabled: false }
          : route.pattern.startsWith("settings")
            ? { mode: "direct" }
            : route.pattern === "events/retry"
              ? { ids: [eventId] }
              : {};
      const response = await admin(new Request(`${BASE}/api/${path}`, route.method === "GET" ? {} : { ...json(body), method: route.method }));
      if (route.method === "GET") expect(response.status, route.pattern).toBe(200);
      else expect([response.status, ((await response.json()) as { error: { code: string } }).error.code], route.pattern).toEqual([403, "READ_ONLY"]);
    }
    const settings = (await (await admin(new Request(`${BASE}/api/settings`))).json()) as { access: Record<string, unknown> };
    expect(settings.access).toMatchObject({ readOnly: true, canRetry: false, canChangeSettings: false });
    expect(env.inbox.serviceEnabled).toBe(true);
    expect(env.inbox.getMode("acme")).toBe("immediate");
    expect((await env.inbox.getEvent(eventId))!.attempts.length).toBe(1);
  });

  it("changes are refused cross-site even for an authorized caller", async () => {
    const admin = handlerFor(env.inbox, () => true);
    const response = await admin(
      new Request(`${BASE}/api/settings/service`, {
        method: "PUT",
        headers: { "content-type": "application/json", "sec-fetch-site": "cross-site" },
        body: JSON.stringify({ enabled: false }),
      }),
    );
    expect(response.status).toBe(403);
    const form = await admin(
      new Request(`${BASE}/api/settings/service`, { method: "PUT", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "enabled=false" }),
    );
    expect(form.status).toBe(415);
    expect(env.inbox.serviceEnabled).toBe(true);
  });
});

describe("admin: tenant scoping", () => {
  let env: Awaited<ReturnType<typeof setup>>;
  let admin: ReturnType<typeof handlerFor>;
  beforeEach(async () => {
    env = await setup();
    admin = handlerFor(env.inbox, () => ({ tenants: ["t1"] }));
  });
  const get = async (path: string) => {
    const response = await admin(new Request(`${BASE}/api/${path}`));
    return { status: response.status, body: (await response.json()) as Record<string, unknown> & { items?: Record<string, unknown>[] } };
  };

  it("lists, counts and searches show only the caller's tenants, whatever the filter asks", async () => {
    for (const path of [
      "events",
      "events?tenantId=t2",
      "events?tenantId=t1,t2",
      "events?q=t2",
      `events?deliveryId=${env.deliveries.t2}`,
      "events?q=fail-2",
      "events?limit=200",
    ]) {
      const { status, body } = await get(path);
      expect(status, path).toBe(200);
      expect(
        body.items!.every((event) => event.tenantId === "t1"),
        path,
      ).toBe(true);
    }
    const counts = await get("counts?tenantId=t2");
    expect(counts.body.total).toBe(0);
    const allCounts = await get("counts");
    expect(allCounts.body.total).toBe(2); // fail-1 and fail-3
    for (const path of ["deliveries", "deliveries?tenantId=t2", `deliveries?q=${env.deliveries.t2}`, "deliveries?status=unparseable"]) {
      const { body } = await get(path);
      for (const delivery of body.items!) expect((delivery.tenantIds as string[]).includes("t1"), path).toBe(true);
      expect(
        body.items!.some((delivery) => delivery.id === env.deliveries.t2),
        path,
      ).toBe(false);
      expect(JSON.stringify(body), path).not.toContain("t2-secret-company");
    }
  });

  it("another tenant's event or delivery is 404, not 403 (its existence is not told), and cannot be retried or reprocessed", async () => {
    const other = env.id("fail-2");
    expect((await get(`events/${other}`)).status).toBe(404);
    expect((await get(`deliveries/${env.deliveries.t2}`)).status).toBe(404);
    const retryOne = await admin(new Request(`${BASE}/api/events/${other}/retry`, { method: "POST" }));
    expect(retryOne.status).toBe(404);
    const retryIds = await admin(new Request(`${BASE}/api/events/retry`, json({ ids: [env.id("fail-1"), other] })));
    expect(retryIds.status).toBe(404);
    const byFilter = await admin(new Request(`${BASE}/api/events/retry`, json({ filter: { tenantId: "t2" }, expectedCount: 0 })));
    expect(byFilter.status).toBe(200);
    expect(((await byFilter.json()) as { requeued: string[] }).requeued).toEqual([]);
    const reprocess = await admin(new Request(`${BASE}/api/deliveries/${env.deliveries.t2}/reprocess`, { method: "POST" }));
    expect(reprocess.status).toBe(404);
    // Nothing of t2 moved.
    const event = await env.inbox.getEvent(other);
    expect(event!.status).toBe("failed");
    expect(event!.attempts).toHaveLength(1);
  });

  it("a filter retry confirmed by count touches only the caller's tenants", async () => {
    const first = await admin(new Request(`${BASE}/api/events/retry`, json({ filter: {} })));
    expect(first.status).toBe(409);
    const { error } = (await first.json()) as { error: { count: number } };
    expect(error.count).toBe(2);
    const confirmed = await admin(new Request(`${BASE}/api/events/retry`, json({ filter: {}, expectedCount: 2 })));
    const { requeued } = (await confirmed.json()) as { requeued: string[] };
    expect(requeued.sort()).toEqual([env.id("fail-1"), env.id("fail-3")].sort());
    expect((await env.inbox.getEvent(env.id("fail-2")))!.status).toBe("failed");
    expect((await env.inbox.getEvent(env.id("fail-4")))!.status).toBe("failed");
  });

  it("settings are read-only for a tenant-restricted caller", async () => {
    const put = await admin(new Request(`${BASE}/api/settings/service`, { ...json({ enabled: false }), method: "PUT" }));
    expect(put.status).toBe(403);
    const mode = await admin(new Request(`${BASE}/api/settings/integrations/acme`, { ...json({ mode: "direct" }), method: "PUT" }));
    expect(mode.status).toBe(403);
    expect(env.inbox.serviceEnabled).toBe(true);
    expect(env.inbox.getMode("acme")).toBe("immediate");
  });

  it("a delivery naming the caller's tenant and another one does not show the other tenant's events, ids or raw changes", async () => {
    const { status, body } = await get(`deliveries/${env.deliveries.both}`);
    expect(status).toBe(200);
    expect((body.events as { tenantId: string }[]).every((event) => event.tenantId === "t1")).toBe(true);
    // The other company must not be visible to a caller scoped to t1: not in tenantIds, not in the raw body.
    expect(JSON.stringify(body)).not.toContain("t2-secret-company");
  });
});

describe("admin: parameter validation (fuzzed)", () => {
  let env: Awaited<ReturnType<typeof setup>>;
  let admin: ReturnType<typeof handlerFor>;
  beforeEach(async () => {
    env = await setup();
    admin = handlerFor(env.inbox, () => true);
  });

  const paramName = fc.oneof(
    fc.constantFrom(
      "integration",
      "tenantId",
      "status",
      "entityType",
      "entityId",
      "deliveryId",
      "receivedFrom",
      "receivedTo",
      "q",
      "cursor",
      "limit",
      "__proto__",
      "constructor",
    ),
    fc.string({ maxLength: 12 }),
  );
  const paramValue = fc.oneof(
    fc.constantFrom(
      "",
      "0",
      "-1",
      "1e9",
      "NaN",
      "abc",
      "2030-01-01T00:00:00Z",
      "not-a-date",
      "queued,,failed",
      "succeeded",
      "%00",
      "\u0000",
      "a".repeat(600),
      "eyJ9",
      "[]",
      "{}",
    ),
    fc.string({ maxLength: 40 }),
    fc.base64String({ maxLength: 60 }),
  );

  it("random query strings on every list route: 200 or 400, never 500", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("events", "deliveries", "counts"),
        fc.array(fc.tuple(paramName, paramValue), { maxLength: 5 }),
        async (route, params) => {
          const url = new URL(`${BASE}/api/${route}`);
          for (const [name, value] of params) url.searchParams.append(name, value);
          const response = await admin(new Request(url));
          expect([200, 400], `${url.search} → ${await response.clone().text()}`).toContain(response.status);
          expect(response.headers.get("content-type")).toMatch(/^application\/json/);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("random path ids and JSON bodies on every route: 4xx or 200, never 500", async () => {
    const bodies = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record({ ids: fc.jsonValue() }),
      fc.record({ filter: fc.jsonValue(), expectedCount: fc.jsonValue() }),
      fc.record({ enabled: fc.jsonValue() }),
      fc.record({ mode: fc.jsonValue() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ADMIN_ROUTES), fc.string({ maxLength: 120 }), bodies, fc.boolean(), async (route, id, body, raw) => {
        const path = route.pattern.replace(":id", encodeURIComponent(id));
        const init: RequestInit =
          route.method === "GET"
            ? {}
            : { method: route.method, headers: { "content-type": "application/json" }, body: raw ? String(id) : JSON.stringify(body) };
        const response = await admin(new Request(`${BASE}/api/${path}`, init));
        const text = await response.text();
        expect(response.status, `${route.method} ${path} ${init.body ?? ""} → ${text}`).not.toBeGreaterThanOrEqual(500);
      }),
      { numRuns: 300 },
    );
  });
});

describe("admin: stored markup never runs in the dashboard", () => {
  it("the API serves stored strings as JSON (nosniff), the page forbids inline script, and no asset writes HTML", async () => {
    const env = await setup();
    const admin = handlerFor(env.inbox, () => true);
    const delivery = await admin(new Request(`${BASE}/api/deliveries/${env.deliveries.t1}`));
    expect(delivery.headers.get("content-type")).toMatch(/^application\/json/);
    expect(delivery.headers.get("x-content-type-options")).toBe("nosniff");
    expect(((await delivery.json()) as { headers: Record<string, string> }).headers["x-note"]).toBe(XSS); // kept as data
    const page = await admin(new Request(`${BASE}/`));
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i); // no inline script block
    for (const asset of ["app.js", "api.js", "dom.js", "log-view.js", "event-view.js", "deliveries-view.js", "settings-view.js"]) {
      const text = await (await admin(new Request(`${BASE}/assets/${asset}`))).text();
      expect(text, asset).not.toMatch(/\.innerHTML\s*=|insertAdjacentHTML|outerHTML\s*=|document\.write|\beval\(|new Function\(|createContextualFragment/);
    }
  });
});

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  describe.skip("admin over PostgreSQL (skipped: set DATABASE_URL to run)", () => {
    it("needs PostgreSQL", () => {});
  });
} else {
  describe("admin over PostgreSQL: parameters PostgreSQL cannot hold", () => {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    const schema = `wi_admin_sec_${randomBytes(5).toString("hex")}`;
    afterAll(async () => {
      await pool.query(`drop schema if exists "${schema}" cascade`);
      await pool.end();
    });

    it("a NUL in a filter, search, cursor or retry id is a 400, not a store failure (503)", async () => {
      const inbox = createWebhookInbox({
        store: new PostgresStore({ pool, schema }),
        integrations: { acme: { provider: testProvider({ secret: SECRET }) } },
        handler: () => {},
        logger: silentLogger,
      });
      const errors: unknown[] = [];
      const admin = createAdminHandler(inbox, { basePath: "/admin", authorize: () => true, onError: (error) => errors.push(error) });
      const requests: [string, RequestInit?][] = [
        [`${BASE}/api/events?q=%00`],
        [`${BASE}/api/events?entityId=a%00b`],
        [`${BASE}/api/events?tenantId=%00`],
        [`${BASE}/api/events?cursor=%00`],
        [`${BASE}/api/deliveries?q=%00`],
        [`${BASE}/api/counts?entityType=%00`],
        [`${BASE}/api/events/retry`, json({ ids: ["a\u0000"] })],
      ];
      const statuses: string[] = [];
      for (const [url, init] of requests) statuses.push(`${url.slice(BASE.length)} ${(await admin(new Request(url, init))).status}`);
      expect(statuses.filter((line) => !line.endsWith(" 400"))).toEqual([]);
      expect(errors).toEqual([]);
    });
  });
}
