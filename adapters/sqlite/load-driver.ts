/** Loads the optional better-sqlite3 driver lazily, with a clear error when it is not installed. */
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { WebhookConfigError } from "../../src/index.ts";

/** The better-sqlite3 constructor. */
export type SqliteDriver = typeof BetterSqlite3;

let driver: SqliteDriver | undefined;

/**
 * Loads better-sqlite3, an optional peer dependency, on first use rather than at import time, so the
 * message for a missing install is ours. `createRequire(import.meta.url)` works in the CJS build
 * too, because tsup's `shims: true` fills in `import.meta.url` there.
 */
export function loadSqliteDriver(): SqliteDriver {
  if (driver) return driver;
  try {
    const require = createRequire(import.meta.url);
    driver = require("better-sqlite3") as SqliteDriver;
    return driver;
  } catch (cause) {
    throw new WebhookConfigError("SqliteStore needs the optional dependency better-sqlite3: npm install better-sqlite3", [], cause);
  }
}
