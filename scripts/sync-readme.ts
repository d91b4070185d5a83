/**
 * Copies each file named by an `<!-- include: path -->` marker in README.md into the fenced block
 * that follows the marker, so every README sample is a real file under examples/ (type-checked, or run
 * by a test for the CommonJS ones): a `.ts` file as a ts block, a `.js`/`.cjs`/`.mjs` file as a js block.
 * Run: npx tsx scripts/sync-readme.ts   (test/package/readme.test.ts fails when they drift)
 */
import { readFileSync, writeFileSync } from "node:fs";

export const README = new URL("../README.md", import.meta.url);
const MARKER = /<!-- include: (\S+) -->\n(?:\n?```(?:ts|js)\n[\s\S]*?\n```\n)?/g;

/** The fenced block's language for an included file. */
export const blockLanguage = (path: string): "ts" | "js" => (/\.[cm]?js$/.test(path) ? "js" : "ts");

export function syncReadme(text: string, read: (path: string) => string): string {
  return text.replace(MARKER, (_match, path: string) => `<!-- include: ${path} -->\n\`\`\`${blockLanguage(path)}\n${read(path).trimEnd()}\n\`\`\`\n`);
}

/** The text of the README block that includes `path`, as the README shows it. */
export function includedBlock(text: string, path: string): string {
  const start = text.indexOf(`<!-- include: ${path} -->\n\`\`\`${blockLanguage(path)}\n`);
  if (start === -1) throw new Error(`README includes no ${path}`);
  const body = text.indexOf("\n", text.indexOf("```", start)) + 1;
  return text.slice(body, text.indexOf("\n```\n", body) + 1);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  const text = readFileSync(README, "utf8");
  writeFileSync(
    README,
    syncReadme(text, (path) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8")),
  );
  console.log("README.md includes synced");
}
