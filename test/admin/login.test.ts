// The README's login recipes in a real browser: HTTP Basic (the browser's prompt, answered by Chromium's
// credentials), the login form + signed cookie on Express and on Fastify, and the read-only role.
import { existsSync } from "node:fs";
import { once } from "node:events";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Browser, type BrowserContext, type Page, chromium } from "playwright-core";
import { expressAdminWithBasic, expressAdminWithCookie, fastifyAdminWithCookie, type Operators } from "../../examples/readme/dashboard.ts";
import { type Scenario, buildScenario } from "./scenario.ts";

const CHROMIUM = "/usr/bin/chromium";
const suite = existsSync(CHROMIUM) ? describe : describe.skip;
const SECRET = "a-cookie-secret-of-at-least-32-characters";
const operators: Operators = {
  ops: { password: "ops-password-1", access: true },
  support: { password: "support-password-1", access: { readOnly: true } },
};

let browser: Browser;
let scenario: Scenario;
let context: BrowserContext | undefined;
let close: () => Promise<void> = async () => {};
let pageErrors: string[];

async function listen(app: express.Express): Promise<string> {
  const server: Server = createServer(app);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function newPage(options: Parameters<Browser["newContext"]>[0] = {}): Promise<Page> {
  context = await browser.newContext({ viewport: { width: 1400, height: 900 }, ...options });
  const page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  return page;
}

const rows = (page: Page) => page.locator("table[aria-label='Incoming webhook events'] tbody tr");

/** A retry sent from the page itself (same origin, the browser's own credentials or cookie). */
async function retryFromPage(page: Page, id: string): Promise<{ status: number; code: string }> {
  return page.evaluate(async (eventId) => {
    const response = await fetch(`api/events/${eventId}/retry`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    const body = (await response.json()) as { error?: { code: string } };
    return { status: response.status, code: body.error?.code ?? "" };
  }, id);
}

async function logInWithForm(page: Page, origin: string, user: string, password: string) {
  await page.goto(`${origin}/login`);
  await page.getByLabel("User").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${origin}/admin/webhooks/`);
}

suite(existsSync(CHROMIUM) ? "admin login recipes in Chromium" : `admin login recipes in Chromium (skipped: ${CHROMIUM} is missing)`, () => {
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--no-first-run"] });
  });
  afterAll(() => browser?.close());
  beforeEach(async () => {
    scenario = await buildScenario();
    pageErrors = [];
  });
  afterEach(async () => {
    expect(pageErrors).toEqual([]);
    await context?.close();
    context = undefined;
    await close();
  });

  it("HTTP Basic: refused with a challenge without credentials, the dashboard with them", async () => {
    const app = express();
    expressAdminWithBasic(app, scenario.inbox, operators);
    const origin = await listen(app);
    const refused = await fetch(`${origin}/admin/webhooks/api/events`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe('Basic realm="Webhook inbox", charset="UTF-8"');

    const wrong = await newPage({ httpCredentials: { username: "ops", password: "not-the-password" } });
    const wrongAnswer = await wrong.goto(`${origin}/admin/webhooks/`);
    expect(wrongAnswer?.status()).toBe(401);
    await context!.close();

    const page = await newPage({ httpCredentials: { username: "ops", password: "ops-password-1" } });
    await page.goto(`${origin}/admin/webhooks/`);
    await expect.poll(() => rows(page).count()).toBe(9);
    expect(await page.getByRole("button", { name: "Retry selected" }).isVisible()).toBe(true);
    const inv2 = await scenario.eventOf("inv-2");
    expect((await retryFromPage(page, inv2.id)).status).toBe(200);
  });

  it("HTTP Basic read-only role: lists and views, no retry controls, and a retry is refused", async () => {
    const app = express();
    expressAdminWithBasic(app, scenario.inbox, operators);
    const origin = await listen(app);
    const page = await newPage({ httpCredentials: { username: "support", password: "support-password-1" } });
    await page.goto(`${origin}/admin/webhooks/`);
    await expect.poll(() => rows(page).count()).toBe(9);
    await expect.poll(() => page.locator("#access").textContent()).toContain("Read-only");
    expect(await page.getByRole("button", { name: /Retry selected/ }).isVisible()).toBe(false);
    expect(await page.getByRole("button", { name: /Retry all matching/ }).isVisible()).toBe(false);
    expect(await page.locator("tbody input[type=checkbox]").first().isVisible()).toBe(false);

    const inv2 = await scenario.eventOf("inv-2");
    await page.goto(`${origin}/admin/webhooks/#/events/${inv2.id}`);
    await page.waitForSelector("h1 >> text=inv-2");
    expect(await page.getByRole("button", { name: "Retry now" }).isVisible()).toBe(false);
    const before = (await scenario.inbox.getEvent(inv2.id))!.attempts.length;
    expect(await retryFromPage(page, inv2.id)).toEqual({ status: 403, code: "READ_ONLY" });
    expect((await scenario.inbox.getEvent(inv2.id))!.attempts.length).toBe(before);

    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("switch").waitFor();
    expect(await page.getByRole("switch").isDisabled()).toBe(true);
    expect(await page.locator("main").textContent()).toContain("your access is read-only");
  });

  it("Express login form and signed cookie: refused before, the dashboard after, read-only for support", async () => {
    const app = express();
    expressAdminWithCookie(app, scenario.inbox, operators, SECRET, false);
    const origin = await listen(app);
    const page = await newPage();
    expect((await page.goto(`${origin}/admin/webhooks/`))?.status()).toBe(401);

    await page.goto(`${origin}/login`);
    await page.getByLabel("User").fill("ops");
    await page.getByLabel("Password").fill("wrong-password");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForLoadState();
    expect((await context!.cookies()).length).toBe(0);

    await logInWithForm(page, origin, "ops", "ops-password-1");
    await expect.poll(() => rows(page).count()).toBe(9);
    const cookie = (await context!.cookies()).find((item) => item.name === "webhook_admin");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax" });
    const inv2 = await scenario.eventOf("inv-2");
    expect((await retryFromPage(page, inv2.id)).status).toBe(200);

    // A tampered cookie is no login.
    await context!.addCookies([{ ...cookie!, value: cookie!.value.replace(/^[^.]+/, Buffer.from("support").toString("base64url")) }]);
    expect((await page.goto(`${origin}/admin/webhooks/`))?.status()).toBe(401);

    await context!.clearCookies();
    await logInWithForm(page, origin, "support", "support-password-1");
    await expect.poll(() => rows(page).count()).toBe(9);
    expect(await retryFromPage(page, inv2.id)).toEqual({ status: 403, code: "READ_ONLY" });
  });

  it("Fastify login form and signed cookie", async () => {
    const app = await fastifyAdminWithCookie(scenario.inbox, operators, SECRET, false);
    const address = await app.listen({ port: 0, host: "127.0.0.1" });
    close = () => app.close();
    const page = await newPage();
    expect((await page.goto(`${address}/admin/webhooks/`))?.status()).toBe(401);
    await logInWithForm(page, address, "ops", "ops-password-1");
    await expect.poll(() => rows(page).count()).toBe(9);
    await context!.clearCookies();
    await logInWithForm(page, address, "support", "support-password-1");
    await expect.poll(() => page.locator("#access").textContent()).toContain("Read-only");
    const inv2 = await scenario.eventOf("inv-2");
    expect(await retryFromPage(page, inv2.id)).toEqual({ status: 403, code: "READ_ONLY" });
  });
});
