/** The pool PostgresStore creates from a connection string (pg loaded lazily, ended on close). */
import { createRequire } from "node:module";
import { WebhookConfigError } from "../../src/index.ts";
import type { OwnedPgPool } from "./pg-like.ts";

export /** Loads `pg` only now: hosts that pass their own pool, or never use this store, need not install it. */
function createOwnedPool(connectionString: string, max: number | undefined): OwnedPgPool {
  let pg: { Pool: new (config: { connectionString: string; max?: number }) => OwnedPgPool };
  try {
    pg = createRequire(import.meta.url)("pg");
  } catch (cause) {
    throw new WebhookConfigError(
      "PostgresStore({ connectionString }) needs the optional dependency pg: run `npm install pg`, or pass your own `pool`",
      [{ path: "connectionString", message: "the pg package is not installed" }],
      cause,
    );
  }
  const pool = new pg.Pool(max === undefined ? { connectionString } : { connectionString, max });
  pool.on("error", () => {
    // An idle client lost its connection (server restart, network). pg drops that client and the
    // next query opens a new one, which reports any lasting failure as a StoreError. Without a
    // listener the 'error' event would crash the process.
  });
  return pool;
}
