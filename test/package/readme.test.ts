import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { README, syncReadme } from "../../scripts/sync-readme.ts";

const text = readFileSync(README, "utf8");
const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

describe("README", () => {
  it("shows every included example exactly as the type-checked file says (npx tsx scripts/sync-readme.ts)", () => {
    expect(text.match(/<!-- include: /g)?.length ?? 0).toBeGreaterThan(0);
    expect(syncReadme(text, read)).toBe(text);
  });

  it("has no TypeScript sample that is not a type-checked file under examples/", () => {
    const blocks = [...text.matchAll(/```ts\n/g)].length;
    const included = [...text.matchAll(/<!-- include: examples\/\S+ -->\n```ts\n/g)].length;
    expect(included).toBe(blocks);
  });

  it("links only to files that exist", () => {
    for (const [, path] of text.matchAll(/\]\(((?:examples|src|docs)\/[^)#]+)\)/g)) {
      expect(existsSync(new URL(`../../${path}`, import.meta.url)), path).toBe(true);
    }
  });

  it("gives the two quick-start commands", () => {
    expect(text).toContain("npm install && npm run demo");
    expect(text).toMatch(/^npm test/m);
  });
});
