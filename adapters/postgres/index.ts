/**
 * @module webhook-inbox/postgres
 * PostgresStore: the durable `WebhookStore` for many app instances on many machines sharing one
 * PostgreSQL database (SKIP LOCKED claims with leases, group commit, LISTEN/NOTIFY wake-ups,
 * handler writes in the store's transaction). `pg` is an optional peer dependency.
 */
export { PostgresStore } from "./postgres-store.ts";
export type { PostgresStoreOptions } from "./options.ts";
export { DEFAULT_SCHEMA, DEFAULT_GROUP_MAX_BATCH, DEFAULT_GROUP_MAX_WAIT_MS, DEFAULT_RECEIVE_TIMEOUT_MS, DEFAULT_POOL_TIMEOUTS } from "./options.ts";
export type { PgPoolLike, PgClientLike, PgQueryResultLike, PgNotificationLike, PgQueryable } from "./pg-like.ts";
export { MIGRATIONS, type Migration } from "./migrations.ts";
