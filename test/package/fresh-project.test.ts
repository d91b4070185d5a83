/**
 * The README's smallest app in a fresh `npm init -y` project, as a newcomer makes it: the CommonJS
 * form saved as index.js (npm writes "type": "commonjs") and the ES module form as index.ts under
 * "type": "module" with tsx. Each is taken from README.md (so the README cannot drift from what was
 * run), linked to the built package, started, sent a signed QuickBooks webhook whose invoice it
 * downloads from the fake QuickBooks API, and its dashboard read behind the HTTP Basic login.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { type FakeQuickBooks, quickBooksClassicPayload, startFakeQuickBooks } from "webhook-inbox/testing";
import { README, includedBlock } from "../../scripts/sync-readme.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const built = existsSync(join(root, "dist/index.js")) && existsSync(join(root, "dist/index.cjs"));
const readme = readFileSync(README, "utf8");
const work = mkdtempSync(join(tmpdir(), "webhook-inbox-fresh-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const VERIFIER = "fresh-project-verifier";
const PASSWORD = "operator-password";
const REALM = "9130355066410000";

/** `npm init -y` in a new folder, then the packages the README installs, linked (the package itself: the built one). */
function freshProject(name: string, linked: readonly string[]): string {
  const dir = join(work, name);
  mkdirSync(join(dir, "node_modules"), { recursive: true });
  execFileSync("npm", ["init", "-y"], { cwd: dir, stdio: "ignore" });
  symlinkSync(root, join(dir, "node_modules", "webhook-inbox"), "dir");
  for (const pkg of linked) symlinkSync(realpathSync(join(root, "node_modules", pkg)), join(dir, "node_modules", pkg), "dir");
  return dir;
}

/** Starts the app and resolves with its base URL once it prints where the dashboard is. */
async function start(dir: string, args: string[], qbo: FakeQuickBooks): Promise<{ child: ChildProcess; baseUrl: string; output: () => string }> {
  const child = spawn(process.execPath, args, {
    cwd: dir,
    env: { ...process.env, PORT: "0", QBO_VERIFIER_TOKEN: VERIFIER, QBO_ACCESS_TOKEN: "access-token", QBO_BASE_URL: qbo.url, ADMIN_PASSWORD: PASSWORD },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Dashboard: http:\/\/localhost:(\d+)\/admin\//.exec(output);
      if (match) resolve(`http://127.0.0.1:${match[1]}`);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`the app exited (${code}) before listening:\n${output}`)));
  });
  return { child, baseUrl, output: () => output };
}

async function until(check: () => boolean, what: () => string): Promise<void> {
  for (let waited = 0; !check(); waited += 50) {
    if (waited > 10_000) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sends a signed webhook, sees the handler log the downloaded invoice, and reads the dashboard and its API. */
async function exercise(dir: string, args: string[]): Promise<void> {
  const qbo = await startFakeQuickBooks();
  qbo.records.seed(REALM, "Invoice", ["130"], () => ({ DocNumber: "1037", TotalAmt: 362.07 }));
  const app = await start(dir, args, qbo);
  try {
    const signed = quickBooksClassicPayload(VERIFIER, [
      { realmId: REALM, name: "Invoice", id: "130", operation: "Update", lastUpdated: new Date().toISOString() },
    ]);
    const response = await fetch(`${app.baseUrl}/webhooks/quickbooks`, { method: "POST", headers: signed.headers, body: signed.body });
    expect(response.status).toBe(200);
    await until(() => app.output().includes(`Update Invoice 130 (realm ${REALM})`), app.output);
    expect(app.output()).toContain("DocNumber: '1037'");

    const login = await fetch(`${app.baseUrl}/admin/`);
    expect(login.status).toBe(401);
    expect(login.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
    const authorization = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}`;
    const page = await fetch(`${app.baseUrl}/admin/`, { headers: { authorization } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>Webhook inbox</title>");
    const events = await fetch(`${app.baseUrl}/admin/api/events`, { headers: { authorization } });
    const { items } = (await events.json()) as { items: { entityType: string; entityId: string; status: string }[] };
    expect(items.map((event) => [event.entityType, event.entityId, event.status])).toEqual([["Invoice", "130", "succeeded"]]);
  } finally {
    const exited = once(app.child, "exit");
    app.child.kill("SIGINT");
    const [code] = (await exited) as [number | null];
    await qbo.close();
    expect(code, app.output()).toBe(0);
  }
}

describe.skipIf(!built)(
  built ? "the README's smallest app in a fresh npm init -y project" : "the smallest app in a fresh project (skipped: run `npm run build` first)",
  () => {
    it('CommonJS: index.js under the "type": "commonjs" npm init -y writes, run with node', async () => {
      const dir = freshProject("commonjs", ["express", "better-sqlite3"]);
      expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).type ?? "commonjs").toBe("commonjs");
      writeFileSync(join(dir, "index.js"), includedBlock(readme, "examples/express-quickbooks/index.cjs"));
      await exercise(dir, ["index.js"]);
    }, 30_000);

    it('ES module: index.ts under "type": "module", run with tsx', async () => {
      const dir = freshProject("esm", ["express", "better-sqlite3", "tsx"]);
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      writeFileSync(join(dir, "package.json"), JSON.stringify({ ...manifest, type: "module" }, null, 2));
      writeFileSync(join(dir, "index.ts"), includedBlock(readme, "examples/express-quickbooks/index.ts"));
      await exercise(dir, ["--import", "tsx", "index.ts"]);
    }, 30_000);
  },
);
