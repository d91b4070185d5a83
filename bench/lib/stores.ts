import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { MemoryStore, type WebhookStore } from "../../src/index.ts";
import { PostgresStore } from "../../adapters/postgres/index.ts";
import { SqliteStore } from "../../adapters/sqlite/index.ts";
import { DATABASE_URL } from "./config.ts";

/** The stores the bench compares. */
export type StoreKind = "memory" | "sqlite" | "postgres";
export const STORE_KINDS: readonly StoreKind[] = ["memory", "sqlite", "postgres"];

/** A store for one measurement and how to get rid of it afterwards. */
export interface BenchStore {
  readonly kind: StoreKind;
  readonly store: WebhookStore;
  /** Closes it and removes its data (file, schema) unless `keep`. */
  dispose(options?: { keep?: boolean }): Promise<void>;
}

/** A fresh, unique name for a schema or a file of this run. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/**
 * Opens a store: SQLite in a new file under the OS temp folder with `synchronous: "full"` (every
 * acknowledged webhook fsynced), PostgreSQL in a new schema (or `schema`, shared by worker processes).
 */
export function openStore(
  kind: StoreKind,
  options: { schema?: string; filename?: string; poolSize?: number; synchronous?: "full" | "normal"; applicationName?: string } = {},
): BenchStore {
  if (kind === "memory") return { kind, store: new MemoryStore(), dispose: async () => {} };
  if (kind === "sqlite") {
    const filename = options.filename ?? join(tmpdir(), `${uniqueName("webhook-inbox-bench")}.sqlite`);
    const store = new SqliteStore({ filename, synchronous: options.synchronous ?? "full" });
    return {
      kind,
      store,
      dispose: async ({ keep = false } = {}) => {
        await store.close();
        if (!keep) for (const suffix of ["", "-wal", "-shm"]) rmSync(`${filename}${suffix}`, { force: true });
      },
    };
  }
  const schema = options.schema ?? uniqueName("bench");
  // application_name marks this store's connections, so the bench can find their backends' CPU.
  const connectionString = options.applicationName ? withApplicationName(DATABASE_URL, options.applicationName) : DATABASE_URL;
  const store = new PostgresStore({ connectionString, schema, ...(options.poolSize ? { max: options.poolSize } : {}) });
  return {
    kind,
    store,
    dispose: async ({ keep = false } = {}) => {
      await store.close();
      if (!keep) await dropSchema(schema);
    },
  };
}

/** Runs one statement on a short-lived connection. */
export async function sql(text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

/** Removes a schema and everything in it (PostgresStore data, pg-boss tables). */
export async function dropSchema(schema: string): Promise<void> {
  await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** `url` with `application_name=<name>` among its query parameters. */
export function withApplicationName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("application_name", name);
  return parsed.toString();
}

/**
 * Process ids of the PostgreSQL backends serving connections named `applicationName`, and of the
 * server's WAL writer (which does the commit fsyncs it takes over), for counting their CPU.
 */
export async function postgresPids(applicationName: string): Promise<number[]> {
  const result = await sql(`SELECT pid FROM pg_stat_activity WHERE application_name = '${applicationName.replace(/'/g, "''")}' OR backend_type = 'walwriter'`);
  return result.rows.map((row: { pid: number }) => Number(row.pid));
}
