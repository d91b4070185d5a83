import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^webhook-inbox$/, replacement: here("./src/index.ts") },
      { find: /^webhook-inbox\/testing$/, replacement: here("./src/testing/index.ts") },
      { find: /^webhook-inbox\/(store-kit|provider-kit|adapter-kit)$/, replacement: here("./src/$1/index.ts") },
      { find: /^webhook-inbox\/(quickbooks|xero|express|fastify|sqlite|postgres)$/, replacement: here("./adapters/$1/index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    // Type tests (*.test-d.ts): checked by tsc on every `vitest run`, never executed.
    typecheck: { enabled: true, include: ["test/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
    globalSetup: ["test/setup/announce-skips.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
