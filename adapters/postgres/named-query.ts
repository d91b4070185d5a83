/**
 * Named (server-side prepared) statements for the hot insert path: PostgreSQL parses and plans a
 * named statement once per connection, an unnamed one on every call (~0.4 ms of database CPU for
 * the group insert, measured, paid once per group).
 */
import { createHash } from "node:crypto";
import type { PgPoolLike, PgQueryable, PgQueryResultLike } from "./pg-like.ts";

/** Runs statements on a pool, named when the pool is pg's (its `query` takes `{ name, text, values }`). */
export interface StatementRunner {
  run(text: string, values: unknown[]): Promise<PgQueryResultLike>;
}

type ConfigQuery = (config: { name: string; text: string; values: unknown[] }) => Promise<PgQueryResultLike>;

/** Whether a pool is pg's own (pg-pool keeps its client class in `Client`), so it takes query configs. */
export function isPgPool(pool: PgPoolLike): boolean {
  return typeof (pool as { Client?: unknown }).Client === "function";
}

/** A runner naming each statement after a hash of its text (one text, one name: pg refuses a name reused for another text). */
export function statementRunner(pool: PgQueryable, named: boolean): StatementRunner {
  if (!named) return { run: (text, values) => pool.query(text, values) };
  const names = new Map<string, string>();
  const query = pool.query.bind(pool) as unknown as ConfigQuery;
  return {
    run(text, values) {
      let name = names.get(text);
      if (name === undefined) {
        name = `webhook_inbox_${createHash("sha256").update(text).digest("hex").slice(0, 32)}`;
        names.set(text, name);
      }
      return query({ name, text, values });
    },
  };
}
