/**
 * The transaction wrapper of SqliteStore: its one connection, opened (and migrated) once; operations
 * run one at a time behind a FIFO lock, wait out another connection's file lock asynchronously
 * (busy-retry.ts), driver errors become StoreError naming the method, and the host's
 * `transaction(fn)` holds the lock across ticks while calls made from inside `fn` join it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Database, Statement } from "better-sqlite3";
import pLimit from "p-limit";
import { StoreError, isWebhookInboxError } from "../../src/index.ts";
import { DRIVER_BUSY_TIMEOUT_MS, StillBusyError, retryWhileBusy } from "./busy-retry.ts";
import { loadSqliteDriver } from "./load-driver.ts";
import { runSqliteMigrations } from "./migrations.ts";
import { TRANSACTION } from "./queries.ts";

/** WAL frames after which a commit checkpoints (SQLite's default is 1,000). */
const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/** How the file is opened. */
export interface ConnectionOptions {
  readonly filename: string;
  readonly synchronous: "full" | "normal";
  readonly busyTimeoutMs: number;
}

/** Runs work on the connection: `sql` prepares (and caches) a statement. */
export type Work<T> = (db: Database, sql: (text: string) => Statement) => T;

export class SqliteConnection {
  readonly #options: ConnectionOptions;
  #db: Database | null = null;
  #closed = false;
  /** A FIFO lock: one operation at a time; an open `transaction(fn)` spans several ticks under it. */
  readonly #mutex = pLimit(1);
  /** Marks the async context of `transaction(fn)`: calls made from inside fn join it instead of waiting. */
  readonly #inTransaction = new AsyncLocalStorage<object>();
  /** The token of the open `transaction(fn)`, or null; a context keeps its token after that transaction ended. */
  #openTransaction: object | null = null;
  readonly #statements = new Map<string, Statement>();
  readonly #prepare = (text: string): Statement => {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = this.#db!.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  };

  constructor(options: ConnectionOptions) {
    this.#options = options;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True when the caller runs inside the open `transaction(fn)`. */
  joinsTransaction(): boolean {
    return this.#openTransaction !== null && this.#inTransaction.getStore() === this.#openTransaction;
  }

  /** Runs `work` on the open database under the lock (or inside the caller's transaction), wrapping driver errors. */
  async run<T>(method: string, work: Work<T>): Promise<T> {
    if (this.joinsTransaction()) return this.#guard(method, () => work(this.#db!, this.#prepare));
    return this.#mutex(async () => {
      if (this.#closed && this.#db === null) throw closedError(method);
      // A write lock held by another connection is waited out asynchronously: the event loop keeps turning.
      return this.#guardAsync(method, () => retryWhileBusy(() => work(this.#open(), this.#prepare), this.#options.busyTimeoutMs));
    });
  }

  /**
   * Runs `work` inside the open `transaction(fn)` whose handle is `transaction` (the lock is already
   * the caller's); throws when `transaction` is not that handle.
   */
  runInOpenTransaction<T>(method: string, transaction: unknown, work: Work<T>): T {
    const db = this.#db;
    if (db === null || transaction !== db || this.#openTransaction === null || !db.inTransaction) {
      throw new StoreError("sqlite", `${method} failed: the transaction is not an open transaction of this store`);
    }
    return this.#guard(method, () => work(db, this.#prepare));
  }

  /** BEGIN IMMEDIATE, `fn(db)`, COMMIT; ROLLBACK and rethrow `fn`'s own error when it throws. */
  async transaction<T>(fn: (transaction: unknown) => Promise<T>): Promise<T> {
    if (this.joinsTransaction()) {
      throw new StoreError("sqlite", "transaction failed: a transaction is already open in this context");
    }
    return this.#mutex(async () => {
      if (this.#closed) throw closedError("transaction");
      const db = await this.#guardAsync("transaction", () =>
        retryWhileBusy(() => {
          const opened = this.#open();
          opened.exec(TRANSACTION.begin);
          return opened;
        }, this.#options.busyTimeoutMs),
      );
      const token = {};
      this.#openTransaction = token;
      try {
        let value: T;
        try {
          value = await this.#inTransaction.run(token, () => fn(db));
        } catch (error) {
          rollbackQuietly(db);
          throw error; // fn's own error, unwrapped: it is the host's.
        }
        try {
          db.exec(TRANSACTION.commit);
        } catch (error) {
          rollbackQuietly(db);
          throw new StoreError("sqlite", "transaction failed", error);
        }
        return value;
      } finally {
        this.#openTransaction = null;
      }
    });
  }

  /** Refuses new work, then closes the file once the work already queued has run. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#mutex(() => {
      this.#statements.clear();
      this.#db?.close();
      this.#db = null;
    });
  }

  /** Marks the connection closing (new group-committed work is refused) before queued work drains. */
  markClosing(): void {
    this.#closed = true;
  }

  async #guardAsync<T>(method: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw wrapError(method, error);
    }
  }

  #guard<T>(method: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw wrapError(method, error);
    }
  }

  /** Opens the file and brings the schema up to date, once. */
  #open(): Database {
    if (this.#db) return this.#db;
    const Driver = loadSqliteDriver();
    const db = new Driver(this.#options.filename, { timeout: DRIVER_BUSY_TIMEOUT_MS });
    try {
      configureConnection(db, this.#options.synchronous);
      runSqliteMigrations(db);
    } catch (error) {
      db.close();
      throw error;
    }
    this.#db = db;
    return db;
  }
}

/** Sets a connection as the store uses it (WAL, the synchronous level, foreign keys, journals in memory, the checkpoint interval). */
export function configureConnection(db: Database, synchronous: "full" | "normal"): void {
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"}`);
  db.pragma("foreign_keys = ON");
  // A multi-row statement keeps the pages it changes in a statement journal (to undo itself when a
  // row fails): in memory, not a temporary file created, written and deleted for every transaction.
  db.pragma("temp_store = MEMORY");
  // Checkpoint after 10,000 WAL frames (~40 MB) instead of 1,000: a page changed by many commits in
  // between (index tails and interiors, the dedupe index's leaves) is copied into the file once.
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
}

/** Driver failures become StoreError naming the method; the library's own errors pass as they are. */
function wrapError(method: string, error: unknown): unknown {
  if (isWebhookInboxError(error)) return error;
  if (error instanceof StillBusyError) return new StoreError("sqlite", `${method} failed: ${error.message}`, error.cause);
  return new StoreError("sqlite", `${method} failed`, error);
}

/** The error of an operation on a closed store. */
export function closedError(method: string): StoreError {
  return new StoreError("sqlite", `${method} failed: the store is closed`);
}

function rollbackQuietly(db: Database): void {
  try {
    if (db.inTransaction) db.exec(TRANSACTION.rollback);
  } catch {
    // SQLite may already have rolled back (e.g. after an I/O error); the caller sees the error that caused it.
  }
}
