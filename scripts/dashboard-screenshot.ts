/**
 * Takes the README's dashboard screenshots from a running demo (`npm run demo` in another terminal).
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
  await page.locator("table tbody tr a").first().click();
  await page.getByRole("tab", { name: /Attempts/ }).click();
  await page.screenshot({ path: "docs/dashboard-event.png" });
  console.log("wrote docs/dashboard-log.png and docs/dashboard-event.png");
} finally {
  await browser.close();
}
