/**
 * `npm run demo` as a user runs it, spawned in a scratch folder (its database goes to ./.demo-data):
 * `--exit --fresh --port 0` prints the port it got, a summary whose 429 line counts the providers'
 * 429 answers, the failing invoice with an error its data explains, and no dashboard invitation; a
 * port in use ends it with a plain message; a bad --port value is refused; `--scheduler bullmq|pg-boss`
 * runs the same scenario with its passes as jobs on the real Redis / PostgreSQL.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), "webhook-inbox-demo-"));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** Runs the demo to its end; resolves with its exit code and everything it printed (progress redraws as lines). */
async function demo(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["--import", join(root, "node_modules/tsx/dist/loader.mjs"), join(root, "examples/demo/index.ts"), ...args], {
    cwd,
    env: { ...process.env, TSX_TSCONFIG_PATH: join(root, "tsconfig.json") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => void (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => void (output += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, output: output.replaceAll("\r", "\n") };
}

describe("npm run demo", () => {
  it("--exit --fresh --port 0: listens on a free port it prints, summarises, and does not invite to a dashboard it closes", async () => {
    const { code, output } = await demo(["--exit", "--fresh", "--port", "0"]);
    expect(code, output).toBe(0);
    const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+) /.exec(output)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(3000);
    expect(output).toMatch(/^ {2}429 answers from the provider APIs \(waited out, no attempt spent\) +2$/m); // the Xero tenant throttled twice
    expect(output).toContain(
      "failed: quickbooks Invoice 13 (tenant 9130350000000002): Invoice 13 failed validation in the host app: TotalAmt -130 must not be negative",
    );
    expect(output).not.toMatch(/Dashboard:|keeps serving|Ctrl-C/);
  }, 120_000);

  it("a port in use: a plain message naming the port and what to do, exit code 1", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const { code, output } = await demo(["--exit", "--port", String(port)]);
      expect(code).toBe(1);
      expect(output).toContain(`Port ${port} on 127.0.0.1 is already in use (another demo still running?)`);
      expect(output).toContain("--port 0 for any free port");
      expect(output).not.toMatch(/EADDRINUSE|\n\s+at /); // no stack trace
    } finally {
      blocker.close();
    }
  }, 60_000);

  it("refuses a --port that is not a port number", async () => {
    const { code, output } = await demo(["--exit", "--port", "http"]);
    expect(code).toBe(2);
    expect(output).toContain('--port needs a port number from 0 to 65535 (0 = any free port), not "http"');
  }, 60_000);

  it("refuses an unknown --scheduler", async () => {
    const { code, output } = await demo(["--exit", "--scheduler", "cron"]);
    expect(code).toBe(2);
    expect(output).toContain('--scheduler must be one of timer, bullmq, pg-boss, not "cron"');
  }, 60_000);

  // The same scenario with its passes run as jobs on the real Redis / PostgreSQL (.ci/run starts both).
  it("--scheduler bullmq: the passes run as BullMQ jobs and the scenario comes out the same", async () => {
    const { code, output } = await demo(["--exit", "--fresh", "--port", "0", "--scheduler", "bullmq"]);
    expect(code, output).toBe(0);
    expect(output).toContain("passes run by BullMQ jobs on redis://");
    expect(output).toMatch(/^ {2}out-of-order pair +stale \+ succeeded$/m);
  }, 120_000);

  it.skipIf(!process.env.DATABASE_URL)(
    "--scheduler pg-boss: the passes run as pg-boss jobs and the scenario comes out the same",
    async () => {
      const { code, output } = await demo(["--exit", "--fresh", "--port", "0", "--scheduler", "pg-boss"]);
      expect(code, output).toBe(0);
      expect(output).toContain("passes run by pg-boss jobs in PostgreSQL");
      expect(output).toMatch(/^ {2}out-of-order pair +stale \+ succeeded$/m);
    },
    120_000,
  );
});
