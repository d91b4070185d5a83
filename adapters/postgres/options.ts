/** The options of PostgresStore: schema, validation and defaults. */
import { z } from "zod";
import { WebhookConfigError } from "../../src/index.ts";
import { validateOptions } from "../../src/adapter-kit/index.ts";
import { isPgPoolLike, type PgPoolLike } from "./pg-like.ts";

/** Default schema that holds the store's tables. */
export const DEFAULT_SCHEMA = "webhook_inbox";
/** Default most deliveries committed in one group. */
export const DEFAULT_GROUP_MAX_BATCH = 100;
/** Default wait for more deliveries before a group commits; 0 = only same-tick calls and calls queued behind a running commit. */
export const DEFAULT_GROUP_MAX_WAIT_MS = 0;
/**
 * Default groups committing at once. One: whatever arrives during a commit waits for it and goes in
 * the next group, so under load groups grow with the commit time instead of splitting in two. Each
 * commit costs the database a WAL flush (~0.6 ms of CPU measured here) besides its rows; with one in
 * flight the HTTP ingest bench spent 366 instead of 466 µs of CPU per 1-10-entity webhook.
 */
export const DEFAULT_GROUP_MAX_IN_FLIGHT = 1;
/** Default longest wait of `insertDelivery` (a receive) before it fails and the webhook is answered 503. */
export const DEFAULT_RECEIVE_TIMEOUT_MS = 5_000;
/** Defaults of the pool the store creates from a connection string. */
export const DEFAULT_POOL_TIMEOUTS = {
  /** Opening a connection (pg `connectionTimeoutMillis`). */
  connectTimeoutMs: 5_000,
  /** One statement (server `statement_timeout`; the client gives up 1 s later: pg `query_timeout`). */
  statementTimeoutMs: 30_000,
  /** A transaction left idle (server `idle_in_transaction_session_timeout`): above `handlerTimeoutMs`' 30 s default. */
  idleInTransactionTimeoutMs: 60_000,
} as const;

// Letters, digits and "_": safe to quote without escaping. 50 characters leaves room for the
// NOTIFY channel suffix inside PostgreSQL's 63-byte identifier limit.
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,49}$/, "must be an identifier: a letter or _, then letters, digits or _ (at most 50)");

const common = {
  /** Schema that holds the tables; created by `migrate()`. @default "webhook_inbox" */
  schema: identifier.default(DEFAULT_SCHEMA),
  /** Group commit of concurrent `insertDelivery` calls. */
  groupCommit: z
    .strictObject({
      /** Most deliveries in one transaction. @default 100 */
      maxBatch: z.int().min(1).max(1000).default(DEFAULT_GROUP_MAX_BATCH),
      /** How long the first delivery of a group waits for company. @default 0 */
      maxWaitMs: z.number().min(0).max(1000).default(DEFAULT_GROUP_MAX_WAIT_MS),
      /** Groups committing at once; deliveries arriving meanwhile queue up for the next group. @default 1 */
      maxInFlight: z.int().min(1).max(16).default(DEFAULT_GROUP_MAX_IN_FLIGHT),
    })
    .prefault({}),
  /** Send NOTIFY when work is stored or re-queued, so `subscribe()`rs in other processes wake up. @default true */
  notify: z.boolean().default(true),
  /**
   * Longest wait of `insertDelivery` (what `receive()` awaits) before it fails with a StoreError, so a
   * database that stops answering (a network partition drops packets) gets the provider a 503 +
   * Retry-After in bounded time instead of a hung request. A delivery whose insert commits after
   * this is stored: the provider's resend is then answered as a duplicate. @default 5000
   */
  receiveTimeoutMs: z.int().min(1).max(60_000).default(DEFAULT_RECEIVE_TIMEOUT_MS),
  /**
   * Run the insert statements as named (server-side prepared) statements, parsed and planned once per
   * connection instead of once per group. Needs a pool whose `query` takes pg's `{ name, text, values }`
   * (pg.Pool does); set false behind a pooler that cannot keep prepared statements (PgBouncer
   * before 1.21 in transaction mode). @default true
   */
  preparedStatements: z.boolean().default(true),
};

const poolOptionsSchema = z.strictObject({
  /** Your pool (pg.Pool or anything with its shape). `close()` never ends it. */
  pool: z.custom<PgPoolLike>(isPgPoolLike, { error: "pool must be a pg.Pool (an object with query() and connect())" }),
  ...common,
});

const connectionOptionsSchema = z.strictObject({
  /** The store creates (and on `close()` ends) a pg.Pool; `pg` is loaded lazily. */
  connectionString: z.string().min(1, "connectionString must not be empty"),
  /** Size of the pool the store creates. @default 10 (pg's default) */
  max: z.int().min(1).max(1000).optional(),
  /** Longest wait to open a connection (pg `connectionTimeoutMillis`). @default 5000 */
  connectTimeoutMs: z.int().min(1).max(600_000).default(DEFAULT_POOL_TIMEOUTS.connectTimeoutMs),
  /** Longest statement (server `statement_timeout`; the client abandons the connection 1 s later). @default 30000 */
  statementTimeoutMs: z.int().min(1).max(3_600_000).default(DEFAULT_POOL_TIMEOUTS.statementTimeoutMs),
  /** Longest idle time inside a transaction (`idle_in_transaction_session_timeout`). @default 60000 */
  idleInTransactionTimeoutMs: z.int().min(1).max(3_600_000).default(DEFAULT_POOL_TIMEOUTS.idleInTransactionTimeoutMs),
  ...common,
});

/** Options of `new PostgresStore(...)`: either a pool you own or a connection string. */
export type PostgresStoreOptions = z.input<typeof poolOptionsSchema> | z.input<typeof connectionOptionsSchema>;
/** Options after validation and defaults. */
export type ResolvedPostgresStoreOptions = z.output<typeof poolOptionsSchema> | z.output<typeof connectionOptionsSchema>;

/** Validates once, at construction; throws WebhookConfigError naming each bad option. */
export function parsePostgresStoreOptions(input: unknown): ResolvedPostgresStoreOptions {
  if (typeof input !== "object" || input === null) {
    throw new WebhookConfigError("PostgresStore options must be an object: { pool } or { connectionString }");
  }
  const hasPool = "pool" in input;
  const hasConnectionString = "connectionString" in input;
  // Checked before zod: a union's error would list both branches and hide the real mistake.
  if (hasPool === hasConnectionString) {
    throw new WebhookConfigError("PostgresStore needs exactly one of `pool` (yours) or `connectionString` (the store's own pool)", [
      { path: hasPool ? "connectionString" : "pool", message: hasPool ? "give pool or connectionString, not both" : "required" },
    ]);
  }
  return hasPool
    ? validateOptions(poolOptionsSchema, input, "PostgresStore options", { format: "pretty" })
    : validateOptions(connectionOptionsSchema, input, "PostgresStore options", { format: "pretty" });
}
