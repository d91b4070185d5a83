/** SqliteSharedState: SqliteStore's shared-state capability (records and leases in two tables of the file). */
import type { LeaseInput, SharedRecord, SharedStateStore, WriteRecordInput } from "../../src/index.ts";
import type { Work } from "./connection.ts";

/** Schema step 3 (migrations.ts). Values are JSON text, times integer milliseconds. */
export const SHARED_STATE_TABLES = `
  CREATE TABLE shared_records (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    version INTEGER NOT NULL,
    changed_at INTEGER NOT NULL,
    changed_by TEXT
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE shared_leases (
    key TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
`;

const SQL = {
  // `prefix || char(0x10FFFF)` bounds the range, so the primary key serves the prefix scan.
  read: "SELECT key, value, version, changed_at, changed_by FROM shared_records WHERE key >= ? AND key < ? ORDER BY key",
  upsert: `INSERT INTO shared_records (key, value, version, changed_at, changed_by) VALUES (?, ?, 1, ?, ?)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = version + 1, changed_at = excluded.changed_at, changed_by = excluded.changed_by
    RETURNING key, value, version, changed_at, changed_by`,
  insertIfAbsent: `INSERT INTO shared_records (key, value, version, changed_at, changed_by) VALUES (?, ?, 1, ?, ?)
    ON CONFLICT (key) DO NOTHING RETURNING key, value, version, changed_at, changed_by`,
  updateIfVersion: `UPDATE shared_records SET value = ?, version = version + 1, changed_at = ?, changed_by = ?
    WHERE key = ? AND version = ? RETURNING key, value, version, changed_at, changed_by`,
  acquire: `INSERT INTO shared_leases (key, holder, expires_at) VALUES (?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
    WHERE shared_leases.holder = excluded.holder OR shared_leases.expires_at <= ?
    RETURNING holder`,
  release: "DELETE FROM shared_leases WHERE key = ? AND holder = ?",
} as const;

interface RecordRow {
  key: string;
  value: string;
  version: number;
  changed_at: number;
  changed_by: string | null;
}

/** Runs one unit of work on the store's connection (SqliteStore's own `#run`). */
export type RunWork = <T>(method: string, work: Work<T>) => Promise<T>;

/**
 * Records and leases in the store's file. SQLite has no cross-process push, so there is no
 * `watchRecords`: instances re-read on a timer.
 */
export class SqliteSharedState implements SharedStateStore {
  readonly #run: RunWork;

  constructor(run: RunWork) {
    this.#run = run;
  }

  async readRecords({ prefix }: { readonly prefix: string }): Promise<SharedRecord[]> {
    return this.#run("readRecords", (_db, sql) => (sql(SQL.read).all(prefix, `${prefix}\u{10FFFF}`) as RecordRow[]).map(toRecord));
  }

  async writeRecord(input: WriteRecordInput): Promise<SharedRecord | null> {
    const value = JSON.stringify(input.value ?? null);
    const changedAt = input.changedAt.getTime();
    return this.#run("writeRecord", (_db, sql) => {
      let row: RecordRow | undefined;
      if (input.ifVersion === undefined) row = sql(SQL.upsert).get(input.key, value, changedAt, input.changedBy) as RecordRow | undefined;
      else if (input.ifVersion === 0) row = sql(SQL.insertIfAbsent).get(input.key, value, changedAt, input.changedBy) as RecordRow | undefined;
      else row = sql(SQL.updateIfVersion).get(value, changedAt, input.changedBy, input.key, input.ifVersion) as RecordRow | undefined;
      return row ? toRecord(row) : null;
    });
  }

  async acquireLease({ key, holder, now, leaseMs }: LeaseInput): Promise<boolean> {
    return this.#run("acquireLease", (_db, sql) => sql(SQL.acquire).get(key, holder, now.getTime() + leaseMs, now.getTime()) !== undefined);
  }

  async releaseLease({ key, holder }: { readonly key: string; readonly holder: string }): Promise<void> {
    await this.#run("releaseLease", (_db, sql) => sql(SQL.release).run(key, holder));
  }
}

function toRecord(row: RecordRow): SharedRecord {
  return { key: row.key, value: JSON.parse(row.value), version: row.version, changedAt: new Date(row.changed_at), changedBy: row.changed_by };
}
