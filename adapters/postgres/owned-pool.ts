/**
 * The pool PostgresStore creates from a connection string: `pg` loaded lazily, bounded connect,
 * statement and idle-in-transaction timeouts, TCP keep-alive, ended on close.
 */
import { createRequire } from "node:module";
import { WebhookConfigError } from "../../src/index.ts";
import type { OwnedPgPool } from "./pg-like.ts";

/** Settings of the pool the store creates. */
export interface OwnedPoolSettings {
  readonly connectionString: string;
  readonly max?: number | undefined;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly idleInTransactionTimeoutMs: number;
}

/** How long the client waits past the server's statement_timeout before it abandons the connection. */
const CLIENT_GRACE_MS = 1_000;

/** The pg.Pool configuration for these settings (the same keys a host sets on its own pool). */
export function ownedPoolConfig(settings: OwnedPoolSettings): Record<string, unknown> {
  return {
    connectionString: settings.connectionString,
    ...(settings.max === undefined ? {} : { max: settings.max }),
    connectionTimeoutMillis: settings.connectTimeoutMs,
    // Server side: a statement or an idle transaction past its time is cancelled and its locks freed.
    statement_timeout: settings.statementTimeoutMs,
    idle_in_transaction_session_timeout: settings.idleInTransactionTimeoutMs,
    // Client side: a server that stopped answering (packets dropped) cannot cancel anything, so the
    // client gives up too, and the pool destroys that connection.
    query_timeout: settings.statementTimeoutMs + CLIENT_GRACE_MS,
    keepAlive: true,
  };
}

/** Loads `pg` only now: hosts that pass their own pool, or never use this store, need not install it. */
export function createOwnedPool(settings: OwnedPoolSettings): OwnedPgPool {
  let pg: { Pool: new (config: Record<string, unknown>) => OwnedPgPool };
  try {
    pg = createRequire(import.meta.url)("pg");
  } catch (cause) {
    throw new WebhookConfigError(
      "PostgresStore({ connectionString }) needs the optional dependency pg: run `npm install pg`, or pass your own `pool`",
      [{ path: "connectionString", message: "the pg package is not installed" }],
      cause,
    );
  }
  const pool = new pg.Pool(ownedPoolConfig(settings));
  pool.on("error", () => {
    // An idle client lost its connection (server restart, network). pg drops that client and the
    // next query opens a new one, which reports any lasting failure as a StoreError. Without a
    // listener the 'error' event would crash the process.
  });
  return pool;
}
