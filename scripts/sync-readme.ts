/**
 * Copies each file named by an `<!-- include: path -->` marker in README.md into the fenced block
 * that follows the marker, so every README sample is a real, type-checked file under examples/.
 * Run: npx tsx scripts/sync-readme.ts   (test/package/readme.test.ts fails when they drift)
 */
import { readFileSync, writeFileSync } from "node:fs";

export const README = new URL("../README.md", import.meta.url);
const MARKER = /<!-- include: (\S+) -->\n(?:\n?```ts\n[\s\S]*?\n```\n)?/g;

export function syncReadme(text: string, read: (path: string) => string): string {
  return text.replace(MARKER, (_match, path: string) => `<!-- include: ${path} -->\n\`\`\`ts\n${read(path).trimEnd()}\n\`\`\`\n`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  const text = readFileSync(README, "utf8");
  writeFileSync(README, syncReadme(text, (path) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8")));
  console.log("README.md includes synced");
}
