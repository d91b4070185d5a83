/**
 * Waiting out another connection's lock on the SQLite file without blocking the event loop:
 * better-sqlite3 waits for a lock synchronously, so the driver's own wait is kept to a few
 * milliseconds and longer waits are asynchronous retries with capped exponential backoff, bounded
 * by a total budget after which the caller fails (and a receive is answered 503).
 */
import { setTimeout as sleep } from "node:timers/promises";

/** The driver's synchronous busy wait per try: short enough that the host never notices it. */
export const DRIVER_BUSY_TIMEOUT_MS = 2;
const FIRST_WAIT_MS = 2;
const MAX_WAIT_MS = 50;

/** True for SQLite's "database is locked / busy" errors (SQLITE_BUSY*, SQLITE_LOCKED*). */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

/** Thrown when the lock was still held when the budget ran out; `cause` is SQLite's last error. */
export class StillBusyError extends Error {
  constructor(
    readonly waitedMs: number,
    cause: unknown,
  ) {
    super(`the database file is locked by another connection (waited ${waitedMs} ms)`, { cause });
  }
}

/**
 * Runs `work` (synchronous, all-or-nothing: a busy failure leaves nothing behind) until it does not
 * fail busy, waiting asynchronously between tries; throws StillBusyError once `budgetMs` is spent.
 */
export async function retryWhileBusy<T>(work: () => T, budgetMs: number): Promise<T> {
  const started = performance.now();
  for (let attempt = 0; ; attempt += 1) {
    try {
      return work();
    } catch (error) {
      if (!isBusy(error)) throw error;
      const waited = performance.now() - started;
      const left = budgetMs - waited;
      if (left <= 0) throw new StillBusyError(Math.round(waited), error);
      const backoff = Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** attempt);
      // Jitter: two waiters in one process do not retry in lockstep.
      await sleep(Math.min(left, backoff * (0.5 + Math.random() / 2)));
    }
  }
}
