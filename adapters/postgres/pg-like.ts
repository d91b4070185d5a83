/**
 * The slice of `pg` that PostgresStore uses, typed structurally (pg-boss `PGliteLike`), so hosts
 * need neither `pg` nor `@types/pg` to type-check, and any pool with pg's shape works.
 */

/** A query result: only the rows and the affected-row count are read. */
export interface PgQueryResultLike {
  rows: unknown[];
  rowCount: number | null;
}

/** A LISTEN notification as pg's `Client` emits it. */
export interface PgNotificationLike {
  channel: string;
  payload?: string | undefined;
}

/** A checked-out client (pg `PoolClient`): used for transactions and the LISTEN connection. */
export interface PgClientLike {
  query(text: string, values?: unknown[]): Promise<PgQueryResultLike>;
  /** Returns the client to its pool; a truthy argument destroys it instead (after an error). */
  release(destroy?: boolean | Error): void;
  on(event: "notification", listener: (message: PgNotificationLike) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: one signature must accept both listener types above (parameter bivariance)
  removeListener(event: "notification" | "error", listener: (...args: any[]) => void): unknown;
}

/** Anything with pg.Pool's `query`/`connect` shape. */
export interface PgPoolLike {
  query(text: string, values?: unknown[]): Promise<PgQueryResultLike>;
  connect(): Promise<PgClientLike>;
}

/** A pool the store created itself: it also ends it and listens for idle-client errors. */
export interface OwnedPgPool extends PgPoolLike {
  end(): Promise<void>;
  on(event: "error", listener: (error: Error) => void): unknown;
}

/** Anything a query can run on: the pool, or a client inside a transaction. */
export type PgQueryable = Pick<PgPoolLike, "query">;

/** True for a value with pg.Pool's shape. */
export function isPgPoolLike(value: unknown): value is PgPoolLike {
  return (
    typeof value === "object" && value !== null && typeof (value as PgPoolLike).query === "function" && typeof (value as PgPoolLike).connect === "function"
  );
}

/** True for a value a query can run on (what `transaction()` hands out). */
export function isPgQueryable(value: unknown): value is PgQueryable {
  return typeof value === "object" && value !== null && typeof (value as PgQueryable).query === "function";
}
