/** PgSharedState: PostgresStore's shared-state capability (records and leases in two tables, NOTIFY on every write). */
import type { LeaseInput, SharedRecord, SharedStateStore, WriteRecordInput } from "../../src/index.ts";
import { NotificationListener } from "./notification-listener.ts";
import type { PgPoolLike } from "./pg-like.ts";
import { jsonbText, toDate, type Row } from "./rows.ts";

/** Schema version 2 (migrations.ts); `s` is the quoted schema name. */
export function sharedStateTables(s: string): string {
  return `
create table ${s}.shared_records (
  key text collate "C" primary key,
  value jsonb not null,
  version integer not null,
  changed_at timestamptz not null,
  changed_by text
);
create table ${s}.shared_leases (
  key text collate "C" primary key,
  holder text not null,
  expires_at timestamptz not null
);
`;
}

const COLUMNS = "key, value, version, changed_at, changed_by";

function queries(s: string, channel: string | null) {
  // NOTIFY from the writing statement itself: delivered at its commit, only when a row was written.
  const written = (statement: string) => `with w as (${statement} returning ${COLUMNS})
select w.*${channel === null ? "" : `, (select pg_notify('${channel}', '') from (select 1 from w limit 1) t) as notified`} from w`;
  return {
    read: `select ${COLUMNS} from ${s}.shared_records where left(key, length($1)) = $1 order by key`,
    upsert: written(`insert into ${s}.shared_records as r (${COLUMNS}) values ($1, $2::jsonb, 1, $3, $4)
      on conflict (key) do update set value = excluded.value, version = r.version + 1, changed_at = excluded.changed_at, changed_by = excluded.changed_by`),
    insertIfAbsent: written(`insert into ${s}.shared_records (${COLUMNS}) values ($1, $2::jsonb, 1, $3, $4) on conflict (key) do nothing`),
    // A concurrent writer of the same row is waited for, then the version is checked again (READ COMMITTED re-check).
    updateIfVersion: written(`update ${s}.shared_records set value = $2::jsonb, version = version + 1, changed_at = $3, changed_by = $4
      where key = $1 and version = $5`),
    // Two racing first acquirers: the second waits on the key's uniqueness check, then takes the
    // ON CONFLICT branch, whose WHERE sees the winner's row and refuses.
    acquire: `insert into ${s}.shared_leases as l (key, holder, expires_at) values ($1, $2, $3)
      on conflict (key) do update set holder = excluded.holder, expires_at = excluded.expires_at
      where l.holder = excluded.holder or l.expires_at <= $4
      returning holder`,
    release: `delete from ${s}.shared_leases where key = $1 and holder = $2`,
  };
}

/** Runs one call, wrapping driver failures as StoreError naming the method (PostgresStore's own `#run`). */
export type RunCall = <T>(method: string, call: () => Promise<T>) => Promise<T>;

export interface PgSharedStateOptions {
  readonly pool: PgPoolLike;
  readonly quotedSchema: string;
  /** The NOTIFY/LISTEN channel of record writes; `null` when the store sends no NOTIFY. */
  readonly channel: string | null;
  readonly run: RunCall;
  /** Registers a LISTEN connection so the store's `close()` stops it. */
  readonly track: (listener: NotificationListener) => () => boolean;
}

/** Records and leases in the database; `watchRecords` LISTENs on the schema's settings channel. */
export class PgSharedState implements SharedStateStore {
  readonly #options: PgSharedStateOptions;
  readonly #sql: ReturnType<typeof queries>;

  constructor(options: PgSharedStateOptions) {
    this.#options = options;
    this.#sql = queries(options.quotedSchema, options.channel);
  }

  async readRecords({ prefix }: { readonly prefix: string }): Promise<SharedRecord[]> {
    return this.#options.run("readRecords", async () => (await this.#options.pool.query(this.#sql.read, [prefix])).rows.map((row) => toRecord(row as Row)));
  }

  async writeRecord(input: WriteRecordInput): Promise<SharedRecord | null> {
    const values = [input.key, jsonbText(input.value ?? null), input.changedAt, input.changedBy];
    return this.#options.run("writeRecord", async () => {
      const { pool } = this.#options;
      const { rows } =
        input.ifVersion === undefined
          ? await pool.query(this.#sql.upsert, values)
          : input.ifVersion === 0
            ? await pool.query(this.#sql.insertIfAbsent, values)
            : await pool.query(this.#sql.updateIfVersion, [...values, input.ifVersion]);
      const row = rows[0] as Row | undefined;
      return row ? toRecord(row) : null;
    });
  }

  async acquireLease({ key, holder, now, leaseMs }: LeaseInput): Promise<boolean> {
    return this.#options.run("acquireLease", async () => {
      const { rows } = await this.#options.pool.query(this.#sql.acquire, [key, holder, new Date(now.getTime() + leaseMs), now]);
      return rows.length === 1;
    });
  }

  async releaseLease({ key, holder }: { readonly key: string; readonly holder: string }): Promise<void> {
    await this.#options.run("releaseLease", () => this.#options.pool.query(this.#sql.release, [key, holder]));
  }

  async watchRecords(onChange: () => void): Promise<() => Promise<void>> {
    const { channel } = this.#options;
    // Without NOTIFY nothing would ever arrive: readers rely on their timer alone.
    if (channel === null) return async () => {};
    const listener = new NotificationListener(this.#options.pool, channel, onChange);
    await this.#options.run("watchRecords", () => listener.start());
    const untrack = this.#options.track(listener);
    return async () => {
      if (untrack()) await listener.stop();
    };
  }
}

function toRecord(row: Row): SharedRecord {
  return {
    key: String(row.key),
    value: row.value ?? null,
    version: Number(row.version),
    changedAt: toDate(row.changed_at),
    changedBy: row.changed_by === null || row.changed_by === undefined ? null : String(row.changed_by),
  };
}
