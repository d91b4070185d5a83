// The rate limiter's state on the dashboard: a QuickBooks realm paused by a real 429 from the fake
// QuickBooks API shows as paused (until when, why), with the calls used in each window.
import { existsSync } from "node:fs";
import { once } from "node:events";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { type Browser, chromium } from "playwright-core";
import { MemoryStore, createAdminHandler, createWebhookInbox } from "webhook-inbox";
import { createExpressAdmin } from "webhook-inbox/express";
import { quickbooks } from "webhook-inbox/quickbooks";
import { ManualClock, quickBooksClassicPayload, startFakeQuickBooks } from "webhook-inbox/testing";

const CHROMIUM = "/usr/bin/chromium";
const VERIFIER = "qbo-verifier-token";
const PAUSED_REALM = "4620816365000000001";
const CALM_REALM = "4620816365000000002";
const START = new Date("2030-01-01T00:00:00.000Z");

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

/** An inbox over the fake QuickBooks API; the first realm's download meets a 429 with Retry-After: 120. */
async function pausedByA429() {
  const clock = new ManualClock(START);
  const qbo = await startFakeQuickBooks({ now: () => clock.now().getTime() });
  open.push(qbo);
  qbo.records.seed(PAUSED_REALM, "Invoice", ["1"], () => ({ DocNumber: "INV-1" }));
  qbo.records.seed(CALM_REALM, "Invoice", ["2"], () => ({ DocNumber: "INV-2" }));
  const inbox = createWebhookInbox({
    store: new MemoryStore(),
    clock,
    integrations: {
      qbo: { provider: quickbooks({ verifierToken: VERIFIER, getAccessToken: () => "token", baseUrl: qbo.url }), mode: "delayed", delayMs: 1_000 },
    },
    handler: async () => {},
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  open.push({ close: () => inbox.stop() });
  const send = async (realmId: string, id: string) => {
    const signed = quickBooksClassicPayload(VERIFIER, [{ realmId, name: "Invoice", id, operation: "Update", lastUpdated: START.toISOString() }]);
    expect((await inbox.receive({ integration: "qbo", rawBody: new TextEncoder().encode(signed.body), headers: signed.headers })).status).toBe(200);
  };
  await send(CALM_REALM, "2");
  clock.advance(1_000);
  await inbox.drain();
  await send(PAUSED_REALM, "1");
  qbo.throttleNext({ retryAfterSeconds: 120 });
  clock.advance(1_000);
  await inbox.drain();
  expect(qbo.calls.count({ tenantId: PAUSED_REALM, status: 429 })).toBe(1);
  return { inbox, clock };
}

describe("the rate limiter's state in the admin", () => {
  it("GET api/limits: the paused realm first, with its reason and windows; a tenant-restricted caller sees only its own", async () => {
    const { inbox } = await pausedByA429();
    const all = createAdminHandler(inbox, { authorize: () => true });
    const { items } = (await (await all(new Request("http://x/api/limits"))).json()) as {
      items: {
        tenantId: string | null;
        pausedUntil: string | null;
        pauseReason: { status: number } | null;
        windows: { name: string; used: number; limit: number; remaining: number }[];
      }[];
    };
    expect(items[0]).toMatchObject({
      tenantId: PAUSED_REALM,
      pausedUntil: new Date(START.getTime() + 2_000 + 120_000).toISOString(),
      pauseReason: { status: 429 },
    });
    const calm = items.find((item) => item.tenantId === CALM_REALM)!;
    expect(calm.pausedUntil).toBeNull();
    const minute = calm.windows.find((window) => window.name === "minute")!;
    expect(minute.used).toBe(1);
    expect(minute.remaining).toBe(minute.limit - 1);

    const restricted = createAdminHandler(inbox, { authorize: () => ({ tenants: [CALM_REALM] }) });
    const scoped = (await (await restricted(new Request("http://x/api/limits"))).json()) as { items: { tenantId: string | null }[] };
    expect(scoped.items.map((item) => item.tenantId)).toEqual([CALM_REALM]);
  });

  (existsSync(CHROMIUM) ? it : it.skip)("the Rate limits page shows the paused realm: until when, why, calls used", async () => {
    const { inbox } = await pausedByA429();
    const app = express();
    app.use("/admin", createExpressAdmin(inbox, { authorize: () => true }));
    const server: Server = createServer(app).listen(0, "127.0.0.1");
    await once(server, "listening");
    open.push({
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    });
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--no-first-run"] });
    open.push({ close: () => browser.close() });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/#/events`);
    await page.getByRole("link", { name: "Rate limits" }).click();
    const paused = page.locator(`tr[data-tenant="${PAUSED_REALM}"]`);
    await paused.waitFor();
    const text = await paused.textContent();
    expect(text).toContain("paused until");
    expect(text).toContain("Why: HTTP 429");
    expect(await paused.locator("time").getAttribute("datetime")).toBe(new Date(START.getTime() + 122_000).toISOString());
    const calm = page.locator(`tr[data-tenant="${CALM_REALM}"]`);
    expect(await calm.textContent()).toContain("available");
    expect(await calm.locator("li[data-window=minute]").textContent()).toMatch(/^per minute: 1 of \d+ used$/);
    // The first row is the paused one.
    expect(await page.locator("table[aria-label='Rate limits'] tbody tr").first().getAttribute("data-tenant")).toBe(PAUSED_REALM);
    expect(errors).toEqual([]);
  });
});
