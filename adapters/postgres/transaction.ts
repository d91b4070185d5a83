/**
 * The transaction wrapper of PostgresStore: checks out a client, runs work between BEGIN and COMMIT
 * (ROLLBACK when it throws) and releases the client, destroying it when the connection broke.
 */
import type { PgClientLike, PgPoolLike } from "./pg-like.ts";
import { TRANSACTION } from "./queries.ts";

/** Runs one of the store's own driver calls (connect, BEGIN, COMMIT), wrapping its failure; the host's work is not passed through it. */
export type DriverCall = <T>(call: () => Promise<T>) => Promise<T>;

/** Checks out a client, runs `fn` between BEGIN and COMMIT (ROLLBACK on error), releases it. */
export async function inTransaction<T>(pool: PgPoolLike, fn: (client: PgClientLike) => Promise<T>, wrap: DriverCall = (call) => call()): Promise<T> {
  const client = await wrap(() => pool.connect());
  // pg-pool stops listening while a client is checked out: a connection lost between queries
  // (during a long handler) would emit an unheard "error" and crash the process. The next query
  // on the client fails instead, and the client is destroyed on release.
  let broken: Error | null = null;
  const onError = (error: Error): void => {
    broken = error;
  };
  client.on("error", onError);
  const release = (error?: unknown): void => {
    client.removeListener("error", onError);
    const reason = error ?? broken;
    if (reason === undefined || reason === null) client.release();
    else {
      // A connection being destroyed can still emit "error" (the server's FATAL, then the socket's
      // close): keep one listener on it, or that late event would crash the host process.
      client.on("error", ignoreLateError);
      client.release(reason instanceof Error ? reason : true);
    }
  };
  try {
    await wrap(() => client.query(TRANSACTION.begin));
  } catch (error) {
    release(error);
    throw error;
  }
  let result: T;
  try {
    result = await fn(client);
  } catch (error) {
    try {
      await client.query(TRANSACTION.rollback);
      release();
    } catch (rollbackError) {
      // The connection is unusable; destroy it. The original error is what the caller needs.
      release(rollbackError);
    }
    throw error;
  }
  try {
    await wrap(() => client.query(TRANSACTION.commit));
  } catch (error) {
    release(error);
    throw error;
  }
  release();
  return result;
}

function ignoreLateError(): void {
  // The client is already released as broken; there is nobody left to tell.
}
