import { existsSync, mkdirSync } from "node:fs";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Browser, type BrowserContext, type Page, chromium } from "playwright-core";
import { type Role, type Scenario, XSS, buildScenario, orphanDirectDelivery, startExpressAdmin } from "./scenario.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = new URL("../artifacts/", import.meta.url).pathname;
const suite = existsSync(CHROMIUM) ? describe : describe.skip;

let browser: Browser;
let scenario: Scenario;
let server: Awaited<ReturnType<typeof startExpressAdmin>>;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];

async function openAs(role: Role, hash = "#/events") {
  context = await browser.newContext({ viewport: { width: 1400, height: 900 }, extraHTTPHeaders: { "x-role": role } });
  page = await context.newPage();
  pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(`${server.base}/${hash}`);
  return page;
}

const row = (id: string) => page.locator(`tbody tr[data-id="${id}"]`);
const rows = () => page.locator("table[aria-label='Incoming webhook events'] tbody tr");

suite(
  existsSync(CHROMIUM)
    ? `dashboard in Chromium (${CHROMIUM})`
    : `dashboard in Chromium (skipped: ${CHROMIUM} is missing; apt-get install chromium, as .ci/run does)`,
  () => {
    beforeAll(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
      });
    });
    afterAll(() => browser?.close());
    beforeEach(async () => {
      scenario = await buildScenario();
      server = await startExpressAdmin(scenario);
    });
    afterEach(async () => {
      expect(pageErrors).toEqual([]);
      await context?.close();
      await server.close();
    });

    it("shows the log, filters it, and renders a hostile payload as text", async () => {
      await openAs("admin");
      await expect.poll(() => rows().count()).toBe(9);
      const inv2 = await scenario.eventOf("inv-2");
      await expect.poll(() => row(inv2.id).locator(".badge").textContent()).toBe("failed");
      expect(await row(inv2.id).textContent()).toContain("handler refused inv-2");
      expect(await page.locator(".count-failed .count-value").textContent()).toBe("1");

      // The XSS probe is shown as text, and nothing ran or became an element.
      const xssEvent = await scenario.eventOf(XSS);
      expect(await row(xssEvent.id).locator("td.entity").textContent()).toContain(XSS);
      expect(await page.getByText(XSS).first().isVisible()).toBe(true);
      expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
      expect(await page.locator("img").count()).toBe(0);
      await page.screenshot({ path: `${ARTIFACTS}log.png`, fullPage: true });

      // Filter by status through the form.
      await page.locator("#f-status").getByLabel("failed").check();
      await page.click("form.filters button[type=submit]");
      await expect.poll(() => rows().count()).toBe(1);
      expect(page.url()).toContain("status=failed");
      expect(await row(inv2.id).isVisible()).toBe(true);

      // Then by integration and free text; "Clear" brings everything back.
      await page.locator("#f-status").getByLabel("failed").uncheck();
      await page.selectOption("#f-integration", "ledger");
      await page.click("form.filters button[type=submit]");
      await expect.poll(() => rows().count()).toBe(2);
      await page.selectOption("#f-integration", "");
      await page.fill("#f-q", "cus-5");
      await page.press("#f-q", "Enter");
      // The integration filter also showed 2 rows: wait for the rows' content, not their count.
      await expect.poll(() => rows().locator("td.entity").allTextContents()).toEqual(["Customer cus-5", "Customer cus-5"]);
      await page.getByRole("button", { name: "Clear" }).click();
      await expect.poll(() => rows().count()).toBe(9);

      // A status count is a filter link too.
      await page.click(".count-stale");
      await expect.poll(() => rows().count()).toBe(1);
      expect(await rows().locator(".badge").textContent()).toBe("stale");
    });

    it("opens an event and reads its Details, Attempts and Resource Data tabs", async () => {
      const inv2 = await scenario.eventOf("inv-2");
      await openAs("admin");
      await row(inv2.id).getByRole("link").click();
      await page.waitForSelector("h1 >> text=inv-2");
      expect(page.url()).toContain(`#/events/${inv2.id}`);

      const details = page.getByRole("tabpanel");
      expect(await page.getByRole("tab", { name: /Details/ }).getAttribute("aria-selected")).toBe("true");
      const detailsText = await details.textContent();
      expect(detailsText).toContain("Attempts remaining0");
      expect(detailsText).toContain("3 of 3 automatic");
      expect(detailsText).toContain("handler refused inv-2");
      await page.screenshot({ path: `${ARTIFACTS}event.png`, fullPage: true });

      await page.getByRole("tab", { name: /Attempts/ }).click();
      expect(await page.getByRole("tab", { name: /Attempts/ }).getAttribute("aria-selected")).toBe("true");
      expect(await page.getByRole("tab", { name: /Details/ }).getAttribute("aria-selected")).toBe("false");
      const attempts = page.locator("table.attempts tbody tr");
      expect(await attempts.count()).toBe(3);
      expect(await attempts.nth(0).textContent()).toMatch(/^1receive.*failed.*handler refused inv-2$/);
      expect(await attempts.nth(2).textContent()).toMatch(/^3scheduler.*failed/);

      // Keyboard: arrows move between tabs.
      await page.getByRole("tab", { name: /Attempts/ }).focus();
      await page.keyboard.press("ArrowRight");
      const resourceTab = page.getByRole("tab", { name: /Resource Data/ });
      expect(await resourceTab.getAttribute("aria-selected")).toBe("true");
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Resource Data");
      const resource = await page.getByRole("tabpanel").textContent();
      expect(resource).toContain("Downloaded at");
      expect(resource).toContain('"TotalAmt": 99');
      expect(page.url()).toContain("tab=resource");
    });

    it("retries one event from its page and shows the new status", async () => {
      const inv2 = await scenario.eventOf("inv-2");
      scenario.failing.delete("inv-2");
      await openAs("admin", `#/events/${inv2.id}?tab=attempts`);
      await page.waitForSelector("table.attempts");
      await page.getByRole("button", { name: "Retry now" }).click();
      await expect.poll(() => page.locator(".subtitle .badge").textContent()).toBe("succeeded");
      expect(await page.locator("#toast").textContent()).toContain("Manual attempt 4: succeeded");
      expect(await page.locator("table.attempts tbody tr").count()).toBe(4);
      expect(await page.locator("table.attempts tbody tr").nth(3).textContent()).toMatch(/^4manual.*succeeded/);
      expect(await page.getByRole("button", { name: "Retry now" }).isDisabled()).toBe(true);
      expect((await scenario.inbox.getEvent(inv2.id))?.status).toBe("succeeded");
    });

    it("selects several events, retries them, and sees their statuses change", async () => {
      const inv3 = await scenario.eventOf("inv-3");
      const bill2 = await scenario.eventOf("bill-2");
      await openAs("admin");
      await expect.poll(() => rows().count()).toBe(9);
      expect(await page.getByRole("button", { name: "Retry selected" }).isDisabled()).toBe(true);
      await row(inv3.id).locator("input[type=checkbox]").check();
      await row(bill2.id).locator("input[type=checkbox]").check();
      await page.getByRole("button", { name: "Retry selected (2)" }).click();
      await expect.poll(() => page.locator("#toast").textContent()).toContain("Re-queued 2 event(s)");
      await expect.poll(() => row(inv3.id).locator(".badge").textContent()).toBe("queued");
      expect((await scenario.inbox.getEvent(inv3.id))?.nextTrigger).toBe("manual");

      // The scheduler's pass runs them; the operator refreshes and sees them succeed.
      scenario.failing.clear();
      await scenario.inbox.drain();
      await page.getByRole("button", { name: "Refresh" }).click();
      await expect.poll(() => row(inv3.id).locator(".badge").textContent()).toBe("succeeded");
      await expect.poll(() => row(bill2.id).locator(".badge").textContent()).toBe("succeeded");
      expect(await page.locator("tbody input[type=checkbox]:checked").count()).toBe(0);
    });

    it("retries everything matching a filter after confirming the count", async () => {
      await openAs("admin", "#/events?integration=books");
      await expect.poll(() => rows().count()).toBe(7);
      await page.getByRole("button", { name: "Retry all matching…" }).click();
      // books: inv-2 failed, cus-5 stale, inv-3 retrying (succeeded ones never count).
      const confirm = page.getByRole("button", { name: "Retry 3 events" });
      await confirm.waitFor();
      await confirm.click();
      await expect.poll(() => page.locator("#toast").textContent()).toContain("Re-queued 3 event(s)");
      expect(
        (await scenario.events())
          .filter((event) => event.status === "queued")
          .map((event) => event.entityId)
          .sort(),
      ).toEqual(["bill-2", "cus-5", "inv-2", "inv-3"]);
    });

    it("pages the log with Load more, and opens an event from the keyboard", async () => {
      const { testWebhook } = await import("webhook-inbox/testing");
      for (let index = 0; index < 55; index++) {
        const { body, headers } = testWebhook("ledger-secret", [
          { tenantId: "initech", entityType: "Bill", entityId: `bulk-${index}`, occurredAt: "2030-01-01T00:00:00Z" },
        ]);
        await scenario.inbox.receive({ integration: "ledger", rawBody: Buffer.from(body), headers });
      }
      await openAs("admin");
      await expect.poll(() => rows().count()).toBe(50);
      const more = page.getByRole("button", { name: "Load more" });
      await more.click();
      await expect.poll(() => rows().count()).toBe(64);
      expect(await more.isHidden()).toBe(true);
      const shown = await rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-id")));
      expect(new Set(shown).size).toBe(64);

      // Keyboard only: focus the first event's link and press Enter.
      await rows().first().getByRole("link").focus();
      await page.keyboard.press("Enter");
      await page.waitForSelector("h1 >> text=bulk-54");
      expect(await page.getByRole("tab", { name: /Details/ }).getAttribute("aria-selected")).toBe("true");
    });

    it("refreshes by itself when auto-refresh is on", async () => {
      const inv3 = await scenario.eventOf("inv-3");
      context = await browser.newContext({ viewport: { width: 1400, height: 900 }, extraHTTPHeaders: { "x-role": "admin" } });
      page = await context.newPage();
      pageErrors = [];
      await page.clock.install();
      await page.goto(`${server.base}/#/events`);
      await expect.poll(() => row(inv3.id).locator(".badge").textContent()).toBe("retrying");
      await page.getByLabel("Auto-refresh").check();
      scenario.failing.clear();
      scenario.clock.advance(60_000);
      await scenario.inbox.drain();
      await page.clock.runFor(5_000);
      await expect.poll(() => row(inv3.id).locator(".badge").textContent()).toBe("succeeded");
    });

    it("shows an event's hostile data as text on every tab", async () => {
      const xssEvent = await scenario.eventOf(XSS);
      await openAs("admin", `#/events/${xssEvent.id}`);
      await page.waitForSelector("h1 .mono");
      expect(await page.locator("h1 .mono").textContent()).toBe(XSS);
      await page.getByRole("tab", { name: /Resource Data/ }).click();
      expect(await page.getByRole("tabpanel").textContent()).toContain(`"Memo": "${XSS}"`);
      expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
      expect(await page.locator("img").count()).toBe(0);
    });

    it("shows inbound requests with headers, raw body and response, and re-processes an unparseable one", async () => {
      await openAs("admin", "#/deliveries");
      const list = page.locator("table[aria-label='Inbound requests'] tbody tr");
      await expect.poll(() => list.count()).toBe(10);
      const first = await scenario.eventOf("inv-1");
      await page.locator(`tbody tr[data-id="${first.deliveryId}"]`).getByRole("link").click();
      await page.waitForSelector("#h-response");
      const text = await page.locator("main").textContent();
      expect(text).toContain("HTTP 202 Accepted");
      expect(text).toContain("Webhook accepted for processing");
      expect(text).toContain("[redacted]");
      expect(text).not.toContain("must-not-be-shown");
      expect(await page.getByLabel("Raw body", { exact: true }).textContent()).toBe(scenario.firstBody);
      expect(await page.locator("table[aria-label='Events of this request'] tbody tr").count()).toBe(3);
      expect(await page.getByRole("button", { name: "Re-process" }).count()).toBe(0);

      await page.goto(`${server.base}/#/deliveries?status=unparseable`);
      await expect.poll(() => list.count()).toBe(2);
      await page.goto(`${server.base}/#/deliveries/${scenario.unparseableId}`);
      await page.getByRole("button", { name: "Re-process" }).waitFor();
      scenario.parser.lenient = true;
      await page.getByRole("button", { name: "Re-process" }).click();
      await expect.poll(() => page.locator(".subtitle .badge").textContent()).toBe("accepted");
      expect(await page.locator("table[aria-label='Events of this request'] tbody tr").textContent()).toContain("inv-7");

      await page.goto(`${server.base}/#/deliveries/${scenario.binaryId}`);
      await page.waitForSelector("#h-body");
      expect(await page.locator("#h-body").textContent()).toContain("not UTF-8: shown as base64");
    });

    it("re-processes a direct request left without an outcome from its inbound-request page", async () => {
      const { deliveryId } = await orphanDirectDelivery(scenario, "inv-41");
      await openAs("admin", `#/deliveries/${deliveryId}`);
      await page.waitForSelector("#h-response");
      expect(await page.locator(".subtitle .badge").textContent()).toBe("accepted");
      expect(await page.locator("main").textContent()).toContain("no outcome recorded yet");
      const button = page.getByRole("button", { name: "Re-process" });
      await button.waitFor();
      expect(await button.getAttribute("title")).toContain("No outcome was recorded for this direct request");
      await button.click();
      await expect.poll(() => page.locator(".subtitle .badge").textContent()).toBe("failed");
      expect(await page.locator(".toast").first().textContent()).toContain("1 event(s) queued");
      expect(await page.locator("table[aria-label='Events of this request'] tbody tr").textContent()).toContain("inv-41");
      expect(await page.getByRole("button", { name: "Re-process" }).count()).toBe(0);
      await scenario.inbox.drain();
      expect((await scenario.eventOf("inv-41")).status).toBe("succeeded");
    });

    it("changes the service switch and an integration's mode in Settings", async () => {
      await openAs("admin", "#/settings");
      const toggle = page.getByRole("switch");
      await toggle.waitFor();
      expect(await toggle.getAttribute("aria-checked")).toBe("true");
      await toggle.click();
      await expect.poll(() => page.getByRole("switch").getAttribute("aria-checked")).toBe("false");
      expect(scenario.inbox.serviceEnabled).toBe(false);
      expect(await page.locator("main").textContent()).toContain("runs in direct mode for now");
      await page.getByRole("switch").click();
      await expect.poll(() => page.getByRole("switch").getAttribute("aria-checked")).toBe("true");

      await page.locator("#mode-ledger-delayed").check();
      await expect.poll(() => scenario.inbox.getMode("ledger")).toBe("delayed");
      expect(await page.locator("#mode-ledger-delayed").isChecked()).toBe(true);
      expect(await page.locator("main").textContent()).toContain("For integrations hitting 429s");
    });

    it("shows a tenant-restricted operator only its tenant, with read-only settings", async () => {
      await openAs("acme");
      await expect.poll(() => rows().count()).toBe(6);
      expect(await rows().locator("td:nth-child(4)").allTextContents()).toEqual(Array(6).fill("acme"));
      expect(await page.locator("#access").textContent()).toBe("Tenants: acme");
      await page.getByRole("link", { name: "Settings" }).click();
      await page.getByRole("switch").waitFor();
      expect(await page.getByRole("switch").isDisabled()).toBe(true);
      expect(await page.locator("main").textContent()).toContain("your access is limited to some tenants");

      // A request that also carries another tenant's change: its raw body is withheld.
      const inv1 = await scenario.eventOf("inv-1");
      await page.goto(`${server.base}/#/deliveries/${inv1.deliveryId}`);
      await page.waitForSelector("#h-body");
      const text = await page.locator("main").textContent();
      expect(text).toContain("Withheld: this request also carries changes of tenants outside your access.");
      expect(text).not.toContain("globex");
    });

    it("shows nothing to a refused caller", async () => {
      await openAs("nobody");
      expect(await page.locator("body").textContent()).toContain("Not authorized");
      expect(await page.locator("table").count()).toBe(0);
    });
  },
);
