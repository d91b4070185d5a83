// The dashboard's operator features in Chromium: text search, several statuses, totals, time presets,
// the JSON viewer, copy buttons and copy-as-curl, bulk-retry results, toasts per page, stale as
// information, the fresh-install empty state, auto-refresh on every page, and "server unreachable".
import { existsSync } from "node:fs";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Browser, type BrowserContext, type Page, chromium } from "playwright-core";
import { MemoryStore, createWebhookInbox } from "webhook-inbox";
import { createExpressAdmin } from "webhook-inbox/express";
import { testProvider } from "webhook-inbox/testing";
import { type Scenario, buildScenario, startExpressAdmin } from "./scenario.ts";

const CHROMIUM = "/usr/bin/chromium";
const suite = existsSync(CHROMIUM) ? describe : describe.skip;

let browser: Browser;
let scenario: Scenario;
let server: Awaited<ReturnType<typeof startExpressAdmin>>;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];

async function open(hash = "#/events", base = server.base) {
  context = await browser.newContext({ viewport: { width: 1400, height: 900 }, extraHTTPHeaders: { "x-role": "admin" } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(base).origin });
  page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(`${base}/${hash}`);
  return page;
}

const rows = () => page.locator("table[aria-label='Incoming webhook events'] tbody tr");
const clipboard = () => page.evaluate(() => navigator.clipboard.readText());

suite(existsSync(CHROMIUM) ? "dashboard features in Chromium" : `dashboard features in Chromium (skipped: ${CHROMIUM} is missing)`, () => {
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--no-first-run"] });
  });
  afterAll(() => browser?.close());
  beforeEach(async () => {
    pageErrors = [];
    scenario = await buildScenario();
    server = await startExpressAdmin(scenario);
  });
  afterEach(async () => {
    expect(pageErrors).toEqual([]);
    await context?.close();
    await server.close();
  });

  it("searches error text, filters several statuses at once, and keeps the counts an overview with a total", async () => {
    await open();
    await expect.poll(() => rows().count()).toBe(9);
    expect(await page.locator(".shown-total").textContent()).toBe("9 of 9 events");

    // Text search reaches the last error (not only ids).
    await page.fill("#f-text", "HANDLER REFUSED");
    await page.press("#f-text", "Enter");
    await expect.poll(() => rows().count()).toBe(2);
    expect((await rows().locator("td.entity").allTextContents()).sort()).toEqual(["Invoice inv-2", "Invoice inv-3"]);
    // ... and the resource data.
    // The previous search also showed 2 rows: wait for the rows' content, not their count.
    await page.fill("#f-text", "Wile E.");
    await page.press("#f-text", "Enter");
    await expect.poll(() => rows().locator("td.entity").allTextContents()).toEqual(["Customer cus-5", "Customer cus-5"]);
    await page.fill("#f-text", "");

    // Two statuses at once.
    await page.locator("#f-status").getByLabel("failed").check();
    await page.locator("#f-status").getByLabel("stale").check();
    await page.click("form.filters button[type=submit]");
    await expect.poll(async () => (await rows().locator(".badge").allTextContents()).sort()).toEqual(["failed", "stale"]);
    expect(page.url()).toContain("status=failed%2Cstale");
    expect(await page.locator(".shown-total").textContent()).toBe("2 of 2 events");
    // The counts still show every status.
    expect(await page.locator(".summary a.count").first().locator(".count-value").textContent()).toBe("9");
    expect(await page.locator(".count-succeeded .count-value").textContent()).toBe("5");
    expect(await page.locator(".count-failed").getAttribute("aria-current")).toBe("true");

    // "50 of N" when a page holds fewer than all matches.
    const { testWebhook } = await import("webhook-inbox/testing");
    for (let index = 0; index < 52; index++) {
      const { body, headers } = testWebhook("ledger-secret", [
        { tenantId: "initech", entityType: "Bill", entityId: `bulk-${index}`, occurredAt: "2030-01-01T00:00:00Z" },
      ]);
      await scenario.inbox.receive({ integration: "ledger", rawBody: Buffer.from(body), headers });
    }
    await page.goto(`${server.base}/#/events`);
    await expect.poll(() => page.locator(".shown-total").textContent()).toBe("50 of 61 events");
  });

  it("time-range presets set a window ending now, and Any time clears it", async () => {
    await open();
    await expect.poll(() => rows().count()).toBe(9);
    // The scenario's events were received on 2030-01-01 (a manual clock), so a window ending on the
    // last event shows them; a preset starts the window an hour before the browser's now.
    await page.goto(`${server.base}/#/events?receivedTo=2029-12-31T23:30:00.000Z`);
    await expect.poll(() => page.locator("p.empty").isVisible()).toBe(true);
    await page.getByRole("button", { name: "Last hour" }).click();
    await expect.poll(() => page.url()).toContain("receivedFrom=");
    const params = new URL(page.url().replace("#/events?", "?")).searchParams;
    expect(params.get("receivedTo")).toBeNull();
    expect(Math.abs(Date.now() - 3_600_000 - new Date(params.get("receivedFrom")!).getTime())).toBeLessThan(600_000);
    expect(await page.locator("#f-receivedFrom").inputValue()).not.toBe("");
    await page.getByRole("button", { name: "Any time" }).click();
    await expect.poll(() => page.url()).not.toContain("receivedFrom=");
    await expect.poll(() => rows().count()).toBe(9);
  });

  it("shows JSON as a collapsible tree with copy, and copies ids", async () => {
    const inv1 = await scenario.eventOf("inv-1");
    await open(`#/events/${inv1.id}?tab=resource`);
    const tree = page.getByRole("group", { name: "Resource data" });
    await tree.waitFor();
    expect(await tree.textContent()).toContain('"TotalAmt": 120.5');
    const nested = tree.locator("details details").first();
    expect(await nested.getAttribute("open")).not.toBeNull();
    expect(await nested.locator("summary").textContent()).toContain('"CustomerRef": {');
    await nested.locator("summary").click();
    expect(await nested.getAttribute("open")).toBeNull();
    expect(await nested.locator(".json-leaf").first().isVisible()).toBe(false);
    await page.getByRole("button", { name: "Expand all" }).click();
    expect(await nested.locator(".json-leaf").first().isVisible()).toBe(true);
    await page.locator(".json-tools").getByRole("button", { name: "Copy" }).click();
    expect(JSON.parse(await clipboard())).toEqual({ Id: "inv-1", TotalAmt: 120.5, CustomerRef: { name: "Acme Corp" } });

    await page.getByRole("tab", { name: /Details/ }).click();
    await page.getByRole("button", { name: "Copy" }).and(page.locator("[title='Copy event id']")).click();
    expect(await clipboard()).toBe(inv1.id);
    await page.locator("[title='Copy delivery id']").click();
    expect(await clipboard()).toBe(inv1.deliveryId);
  });

  it("copies an inbound request as curl, without its redacted headers", async () => {
    const inv1 = await scenario.eventOf("inv-1");
    await open(`#/deliveries/${inv1.deliveryId}`);
    await page.locator("[title='Copy as curl']").click();
    const curl = await clipboard();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's own ${VAR:?message} syntax, not a template
    expect(curl).toContain('curl -X POST "${WEBHOOK_URL:?the webhook URL of integration books}"');
    expect(curl).toContain("-H 'content-type: application/json'");
    expect(curl).toContain(`--data-binary '${scenario.firstBody}'`);
    expect(curl).toContain("# redacted, so not replayed (sign again): authorization");
    expect(curl).not.toContain("[redacted]");
    expect(curl).not.toContain("must-not-be-shown");
  });

  it("says what happened to each event of a bulk retry; a toast stays on its page; stale reads as information", async () => {
    const inv3 = await scenario.eventOf("inv-3");
    const inv1 = await scenario.eventOf("inv-1");
    const inv2 = await scenario.eventOf("inv-2");
    const staleCustomer = await scenario.eventOf("cus-5", "stale");
    const appliedCustomer = await scenario.eventOf("cus-5", "succeeded");
    await open();
    await expect.poll(() => rows().count()).toBe(9);
    for (const event of [inv3, inv1, inv2, staleCustomer]) await page.locator(`tbody tr[data-id="${event.id}"] input[type=checkbox]`).check();
    await page.getByRole("button", { name: "Retry selected (4)" }).click();
    const results = page.getByRole("status", { name: "Retry results" });
    await results.waitFor();
    const line = (id: string) => results.locator(`li[data-id="${id}"]`).textContent();
    expect(await line(inv3.id)).toBe("Invoice inv-3: re-queued for a manual attempt");
    expect(await line(inv1.id)).toBe("Invoice inv-1: refused: already succeeded (a succeeded event is never retried)");
    expect(await page.locator("#toast").textContent()).toContain("Re-queued 3 event(s); 1 skipped");

    // The manual attempts run (inv-3's cause fixed, inv-2's not): each line then says how its retry ended.
    scenario.failing.delete("inv-3");
    await scenario.inbox.drain();
    await expect.poll(() => line(inv3.id), { timeout: 10_000 }).toBe("Invoice inv-3: re-queued \u2192 succeeded");
    await expect
      .poll(() => line(staleCustomer.id), { timeout: 10_000 })
      .toBe(`Customer cus-5: re-queued \u2192 stale: superseded by ${appliedCustomer.id} (newer data was already applied, so the handler was not called)`);
    await expect.poll(() => line(inv2.id), { timeout: 10_000 }).toBe("Invoice inv-2: re-queued \u2192 failed again: handler refused inv-2");
    expect(await results.locator(`li[data-id="${staleCustomer.id}"]`).getAttribute("class")).toBe("retry-info");
    expect(await results.locator(`li[data-id="${inv2.id}"]`).getAttribute("class")).toBe("retry-error");

    // Another page: the toast does not follow.
    await page.getByRole("link", { name: "Inbound requests" }).click();
    await page.locator("table[aria-label='Inbound requests'] tbody tr").first().waitFor();
    expect(await page.locator("#toast").textContent()).toBe("");

    const stale = await scenario.eventOf("cus-5", "stale");
    await page.goto(`${server.base}/#/events/${stale.id}`);
    await page.waitForSelector("h1 >> text=cus-5");
    const details = await page.getByRole("tabpanel").textContent();
    expect(details).toContain("Why skipped");
    expect(details).not.toContain("Last error");
    expect(await page.locator(".error-text").count()).toBe(0);
    // Retrying it from its page ends stale again: the toast is information, not an error.
    await page.getByRole("button", { name: "Retry now" }).click();
    await page.locator("#toast .toast-info").waitFor();
    expect(await page.locator("#toast").textContent()).toMatch(/^Manual attempt \d+: stale \u2014 status is now stale\.$/);
    expect(await page.locator("#toast .toast-error").count()).toBe(0);
  });

  it("refreshes the inbound requests and a changing event by themselves", async () => {
    context = await browser.newContext({ viewport: { width: 1400, height: 900 }, extraHTTPHeaders: { "x-role": "admin" } });
    page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.clock.install();
    const inv3 = await scenario.eventOf("inv-3");
    await page.goto(`${server.base}/#/events/${inv3.id}`);
    await expect.poll(() => page.locator(".subtitle .badge").textContent()).toBe("retrying");
    scenario.failing.clear();
    scenario.clock.advance(60_000);
    await scenario.inbox.drain();
    await page.clock.runFor(5_000);
    await expect.poll(() => page.locator(".subtitle .badge").textContent()).toBe("succeeded");

    await page.goto(`${server.base}/#/deliveries`);
    const list = page.locator("table[aria-label='Inbound requests'] tbody tr");
    await expect.poll(() => list.count()).toBe(10);
    await page.getByLabel("Auto-refresh").check();
    const { testWebhook } = await import("webhook-inbox/testing");
    const { body, headers } = testWebhook("ledger-secret", [{ tenantId: "initech", entityType: "Bill", entityId: "late", occurredAt: "2030-01-01T00:00:00Z" }]);
    await scenario.inbox.receive({ integration: "ledger", rawBody: Buffer.from(body), headers });
    await page.clock.runFor(5_000);
    await expect.poll(() => list.count()).toBe(11);
  });

  it("says the server is unreachable instead of leaving old data looking current", async () => {
    await open();
    await expect.poll(() => rows().count()).toBe(9);
    const banner = page.locator(".offline-banner");
    expect(await banner.isVisible()).toBe(false);
    await server.close();
    await page.getByRole("button", { name: "Refresh" }).click();
    await expect.poll(() => banner.isVisible()).toBe(true);
    expect(await banner.textContent()).toContain("Server unreachable");
    expect(await page.evaluate(() => document.body.classList.contains("offline"))).toBe(true);
    expect(await page.locator("[role=alert].unreachable").textContent()).toContain("may be out of date");
    server = await startExpressAdmin(scenario);
  });

  it("greets a fresh install with each integration's webhook URL", async () => {
    const inbox = createWebhookInbox({
      store: new MemoryStore(),
      integrations: { qbo: { provider: testProvider({ secret: "s", name: "quickbooks" }) }, xero: { provider: testProvider({ secret: "t", name: "xero" }) } },
      handler: async () => {},
    });
    const app = express();
    app.use("/admin", createExpressAdmin(inbox, { authorize: () => true, webhookUrls: { qbo: "https://app.example.com/webhooks/qbo" } }));
    const fresh = createServer(app).listen(0, "127.0.0.1");
    await once(fresh, "listening");
    try {
      await open("#/events", `http://127.0.0.1:${(fresh.address() as AddressInfo).port}/admin`);
      const welcome = page.getByLabel("Getting started");
      await expect.poll(() => welcome.isVisible()).toBe(true);
      expect(await welcome.locator("li[data-integration=qbo]").textContent()).toContain("https://app.example.com/webhooks/qbo");
      expect(await welcome.locator("li[data-integration=qbo]").textContent()).toContain("developer.intuit.com");
      expect(await welcome.locator("li[data-integration=xero]").textContent()).toContain("pass webhookUrls to the admin");
      expect(await welcome.locator("li[data-integration=xero]").textContent()).toContain("developer.xero.com");
    } finally {
      fresh.closeAllConnections();
      await new Promise((resolve) => fresh.close(resolve));
    }
  });
});
