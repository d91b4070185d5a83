/**
 * Takes the README's dashboard screenshots from a running demo (`npm run demo` in another terminal):
 * the event log, an event's Attempts tab, and the Rate limits page.
 * Run: npx tsx scripts/dashboard-screenshot.ts [http://127.0.0.1:3000/admin/]
 */
import { chromium } from "playwright-core";

const url = process.argv[2] ?? "http://127.0.0.1:3000/admin/";
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  await page.goto(url);
  await page.waitForSelector("table tbody tr");
  await page.screenshot({ path: "docs/dashboard-log.png" });
  // The demo's stale event: the older half of its out-of-order pair.
  const stale = page.locator("table tbody tr", { has: page.locator(".badge-stale") }).first();
  await ((await stale.count()) > 0 ? stale : page.locator("table tbody tr").first()).getByRole("link").click();
  await page.getByRole("tab", { name: /Attempts/ }).click();
  await page.screenshot({ path: "docs/dashboard-event.png" });
  await page.goto(new URL("#/limits", url).href);
  await page.waitForSelector("table[aria-label='Rate limits'] tbody tr");
  await page.screenshot({ path: "docs/dashboard-limits.png" });
  console.log("wrote docs/dashboard-log.png, docs/dashboard-event.png and docs/dashboard-limits.png");
} finally {
  await browser.close();
}
