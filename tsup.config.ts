import { defineConfig } from "tsup";

/** Single source of truth for the package's entries; test/package/exports.test.ts compares it with package.json. */
export const entry = {
  index: "src/index.ts",
  testing: "src/testing/index.ts",
  "store-kit": "src/store-kit/index.ts",
  "provider-kit": "src/provider-kit/index.ts",
  quickbooks: "adapters/quickbooks/index.ts",
  xero: "adapters/xero/index.ts",
  express: "adapters/express/index.ts",
  fastify: "adapters/fastify/index.ts",
  sqlite: "adapters/sqlite/index.ts",
  postgres: "adapters/postgres/index.ts",
} as const;

export default defineConfig({
  entry,
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  platform: "node",
  target: "node20",
  // import.meta.url in the CJS build (lazy peer loading via createRequire).
  shims: true,
  // One shared copy of the core between entries, so instanceof works across subpaths.
  splitting: true,
  treeshake: true,
  // Peers and dependencies are never bundled.
  external: ["better-sqlite3", "pg", "express", "fastify", "fastify-plugin", "zod", "eventemitter3", "p-limit", "p-retry"],
});
