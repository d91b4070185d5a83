import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { entry } from "../../tsup.config.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const built = existsSync(`${root}/dist/index.js`) && existsSync(`${root}/dist/index.cjs`);
const subpaths = Object.keys(entry).map((name) => (name === "index" ? "webhook-inbox" : `webhook-inbox/${name}`));

/** Runs a script in a child node whose package resolution goes through package.json "exports" (self-reference). */
function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: "utf8" });
}

describe.skipIf(!built)(built ? "the built package" : "the built package (skipped: run `npm run build` first)", () => {
  it("imports every subpath from the ESM build", () => {
    const script = `for (const s of ${JSON.stringify(subpaths)}) { const m = await import(s); if (Object.keys(m).length === 0) throw new Error(s + " is empty"); } console.log("ok");`;
    expect(node(["--input-type=module", "-e", script]).trim()).toBe("ok");
  });

  it("requires every subpath from the CommonJS build", () => {
    const script = `for (const s of ${JSON.stringify(subpaths)}) { const m = require(s); if (Object.keys(m).length === 0) throw new Error(s + " is empty"); } console.log("ok");`;
    expect(node(["-e", script]).trim()).toBe("ok");
  });

  it("requires every subpath on a Node without require(esm) (20.0-20.18): ESM-only dependencies are bundled into the CJS build", () => {
    const script = `for (const s of ${JSON.stringify(subpaths)}) require(s); console.log("ok");`;
    expect(node(["--no-experimental-require-module", "-e", script]).trim()).toBe("ok");
  });

  it("ships no source maps (the sources they would point at are not in the package)", () => {
    expect(readdirSync(`${root}/dist`).filter((file) => file.endsWith(".map"))).toEqual([]);
  });

  it("shares one error class between entries, so instanceof works across subpaths", () => {
    const check = (load: string) =>
      `const core = ${load}("webhook-inbox"); const sqlite = ${load}("webhook-inbox/sqlite");` +
      `let e; try { new sqlite.SqliteStore({ filename: 42 }); } catch (error) { e = error; }` +
      `console.log(e instanceof core.WebhookConfigError && e instanceof core.WebhookInboxError && core.isWebhookInboxError(e));`;
    expect(node(["-e", check("require")]).trim()).toBe("true");
    expect(node(["--input-type=module", "-e", `const load = (s) => import(s); ${check("await load")}`]).trim()).toBe("true");
  });

  it("does not ship test code or fakes in the main entry", () => {
    const script = `const m = require("webhook-inbox"); console.log(["startFakeQuickBooks", "startFakeXero", "describeStoreConformance", "testProvider"].filter((k) => k in m).join(","));`;
    expect(node(["-e", script]).trim()).toBe("");
  });
});
