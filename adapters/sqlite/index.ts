/**
 * @module webhook-inbox/sqlite
 * `SqliteStore`: a durable WebhookStore in one SQLite file, for a single process.
 * Needs the optional peer dependency better-sqlite3 (`npm install better-sqlite3`).
 */
export { SqliteStore } from "./sqlite-store.ts";
export type { SqliteStoreOptions } from "./sqlite-store.ts";
export { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION } from "./migrations.ts";
export type { SqliteMigration } from "./migrations.ts";
