import { defineConfig } from "tsup";

/** Single source of truth for the package's entries; test/package/exports.test.ts compares it with package.json. */
export const entry = {
  index: "src/index.ts",
  testing: "src/testing/index.ts",
  "store-kit": "src/store-kit/index.ts",
  "provider-kit": "src/provider-kit/index.ts",
  "adapter-kit": "src/adapter-kit/index.ts",
  quickbooks: "adapters/quickbooks/index.ts",
  xero: "adapters/xero/index.ts",
  express: "adapters/express/index.ts",
  fastify: "adapters/fastify/index.ts",
  sqlite: "adapters/sqlite/index.ts",
  postgres: "adapters/postgres/index.ts",
  bullmq: "adapters/bullmq/index.ts",
  opentelemetry: "adapters/opentelemetry/index.ts",
  "pg-boss": "adapters/pg-boss/index.ts",
} as const;

/** Peers and dependencies are never bundled into the ESM build. */
const external = ["better-sqlite3", "pg", "express", "fastify", "bullmq", "pg-boss", "@opentelemetry/api", "zod", "eventemitter3", "p-limit", "p-retry"];

/**
 * ESM-only dependencies bundled into the CJS build: `require()` of an ES module throws
 * ERR_REQUIRE_ESM on Node 20.0-20.18 (and wherever --no-experimental-require-module is set).
 */
export const bundledIntoCjs = ["p-limit", "yocto-queue", "p-retry", "is-network-error"];

const common = {
  entry,
  dts: true,
  // No source maps: they were 64 % of the package and pointed at sources the package does not ship.
  sourcemap: false,
  platform: "node",
  target: "node20",
  // One shared copy of the core between entries, so instanceof works across subpaths.
  splitting: true,
  treeshake: true,
} as const;

export default defineConfig([
  { ...common, format: ["esm"], clean: ["**/*.js", "**/*.d.ts", "**/*.map"], external },
  {
    ...common,
    format: ["cjs"],
    clean: ["**/*.cjs", "**/*.d.cts"],
    // import.meta.url in the CJS build (lazy peer loading via createRequire).
    shims: true,
    external: external.filter((name) => !bundledIntoCjs.includes(name)),
    noExternal: bundledIntoCjs,
  },
]);
