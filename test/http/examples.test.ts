/**
 * The two HTTP examples run as real programs (`node --import tsx`), answer signed fixture vectors,
 * and shut down on SIGINT.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { vector } from "./cases.ts";

const root = new URL("../../", import.meta.url);
const dir = mkdtempSync(join(tmpdir(), "webhook-inbox-examples-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts an example and resolves with its base URL once it prints where it listens. */
async function start(example: string, env: Record<string, string>, listening: RegExp): Promise<{ child: ChildProcess; baseUrl: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", `examples/${example}/index.ts`], {
    cwd: root,
    env: { ...process.env, ...env, PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = listening.exec(output);
      if (match) resolve(`http://127.0.0.1:${match[1]}`);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${example} exited (${code}) before listening:\n${output}`)));
  });
  return { child, baseUrl };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = once(child, "exit");
  child.kill("SIGINT");
  const [code] = (await exited) as [number | null];
  return code;
}

const post = (url: string, header: string, signature: string, body: string) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", [header]: signature }, body: Buffer.from(body) });

describe("examples", () => {
  it("express-quickbooks: 200 for a signed QuickBooks webhook, 401 for a wrong signature, 405 for GET", async () => {
    const qbo = vector("QBO-1");
    const { child, baseUrl } = await start(
      "express-quickbooks",
      { QBO_VERIFIER_TOKEN: qbo.key, WEBHOOK_DB: join(dir, "express.sqlite") },
      /POST http:\/\/localhost:(\d+)\/webhooks\/quickbooks/,
    );
    try {
      const accepted = await post(`${baseUrl}/webhooks/quickbooks`, qbo.header, qbo.expected, qbo.body);
      expect(accepted.status).toBe(200);
      expect(await accepted.json()).toMatchObject({ status: "accepted", events: 1 });
      const refused = await post(`${baseUrl}/webhooks/quickbooks`, qbo.header, vector("QBO-2").expected, qbo.body);
      expect(refused.status).toBe(401);
      expect(await refused.text()).toBe("");
      expect((await fetch(`${baseUrl}/webhooks/quickbooks`)).status).toBe(405);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });

  it("fastify-xero: intent to receive answered 200 / 401 with empty bodies; the host route still works", async () => {
    const itr = vector("XERO-2");
    const { child, baseUrl } = await start("fastify-xero", { XERO_WEBHOOK_KEY: itr.key }, /Server listening at http:\/\/127\.0\.0\.1:(\d+)/);
    try {
      const good = await post(`${baseUrl}/webhooks/xero`, itr.header, itr.expected, itr.body);
      expect([good.status, await good.text()]).toEqual([200, ""]);
      const bad = await post(`${baseUrl}/webhooks/xero`, itr.header, vector("XERO-2R").expected, itr.body);
      expect([bad.status, await bad.text()]).toEqual([401, ""]);
      expect((await fetch(`${baseUrl}/health`)).status).toBe(200);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });
});
