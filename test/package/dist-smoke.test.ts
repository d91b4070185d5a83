import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
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
