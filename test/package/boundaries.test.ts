import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = new URL("../..", import.meta.url).pathname;
const PEERS = ["express", "fastify", "pg", "better-sqlite3", "vitest", "playwright-core"];
/** The one adapter folder allowed to load each peer. */
const PEER_HOME: Record<string, string> = { express: "express", fastify: "fastify", pg: "postgres", "better-sqlite3": "sqlite" };

function files(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(root, path)).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** Runtime imports only: `import type` and `export type` never load anything. */
function runtimeImports(path: string): string[] {
  const source = readFileSync(join(root, path), "utf8");
  const specifiers: string[] = [];
  for (const match of source.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+["']([^"']+)["']/gms)) specifiers.push(match[1]!);
  for (const match of source.matchAll(/(?:require|import)\(\s*["']([^"']+)["']\s*\)/g)) specifiers.push(match[1]!);
  return specifiers;
}

describe("module boundaries", () => {
  it("the core (src/, testing aside) loads no optional peer and nothing from adapters/", () => {
    for (const path of files("src").filter((file) => !file.startsWith("src/testing/"))) {
      for (const specifier of runtimeImports(path)) {
        expect(PEERS.includes(specifier), `${path} imports ${specifier}`).toBe(false);
        expect(specifier.includes("adapters/"), `${path} imports ${specifier}`).toBe(false);
      }
    }
  });

  it("adapters use only the public surface of the core and only their own peer", () => {
    for (const path of files("adapters")) {
      const folder = path.split("/")[1]!;
      for (const specifier of runtimeImports(path)) {
        if (specifier.startsWith("../../src/")) expect(specifier, path).toBe("../../src/index.ts");
        if (PEERS.includes(specifier)) expect(PEER_HOME[specifier], `${path} loads ${specifier}`).toBe(folder);
        expect(specifier.startsWith("../") && !specifier.startsWith("../../src/") && !specifier.startsWith(`../${folder}/`), `${relative(root, path)} reaches into ${specifier}`).toBe(false);
      }
    }
  });
});
