import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../../", import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|js)$/.test(name) ? [path] : [];
  });
}

describe("shipped sources cite only what a user has", () => {
  it("no source in src/ or adapters/ (and so no .d.ts built from them) points at the research notes or test fixtures", () => {
    const offenders: string[] = [];
    for (const file of [...sources(join(ROOT, "src")), ...sources(join(ROOT, "adapters"))]) {
      const text = readFileSync(file, "utf8");
      // Searched for as text only: this test reads nothing outside the repository. The research folder's
      // path is assembled so that this file does not itself look like a reference to it.
      for (const needle of ["PROVIDERS.md", ["..", "shared"].join("/"), "fixtures/"]) {
        if (text.includes(needle)) offenders.push(`${file.slice(ROOT.length)}: ${needle}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
