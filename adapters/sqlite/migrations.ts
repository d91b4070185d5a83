/** Versioned schema migrations of SqliteStore (a schema_version table), applied when the file opens. */
import type { Database } from "better-sqlite3";
import { SHARED_STATE_TABLES } from "./shared-state.ts";

/** One schema step. Versions only grow; a released step is never edited, a new one is added. */
export interface SqliteMigration {
  readonly version: number;
  readonly sql: string;
}

/**
 * The schema, as versioned steps. Dates are integer milliseconds, JSON is TEXT, the raw body a BLOB.
 * Every list is read newest-first by id (keyset paging), so the primary keys double as the paging index.
 */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        integration TEXT NOT NULL,
        provider TEXT NOT NULL,
        tenant_ids TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        headers TEXT NOT NULL,
        raw_body BLOB NOT NULL,
        -- NULL keys (rejected requests) never collide: SQLite UNIQUE allows many NULLs.
        dedupe_key TEXT UNIQUE,
        status TEXT NOT NULL,
        reason TEXT,
        response TEXT,
        duplicate_of TEXT,
        event_count INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX deliveries_received_at ON deliveries (received_at);
      CREATE INDEX deliveries_status ON deliveries (status, id);

      CREATE TABLE events (
        id TEXT PRIMARY KEY,
        delivery_id TEXT NOT NULL REFERENCES deliveries (id),
        integration TEXT NOT NULL,
        provider TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        entity_type TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        operation TEXT NOT NULL,
        deleted INTEGER NOT NULL,
        occurred_at INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        mode TEXT NOT NULL,
        status TEXT NOT NULL,
        max_attempts INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        next_trigger TEXT NOT NULL,
        payload TEXT NOT NULL,
        attempts_made INTEGER NOT NULL DEFAULT 0,
        attempts_started INTEGER NOT NULL DEFAULT 0,
        attempts_finished INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        superseded_by TEXT,
        updated_at INTEGER NOT NULL,
        lease_token TEXT,
        lease_expires_at INTEGER,
        leased_by TEXT
      ) STRICT;
      -- claimDue and nextDueAt: due work by status, then time; also the "by status" lists and counts.
      CREATE INDEX events_due ON events (status, next_attempt_at);
      CREATE INDEX events_entity ON events (integration, tenant_id, entity_type, entity_id);
      CREATE INDEX events_delivery ON events (delivery_id);
      CREATE INDEX events_received_at ON events (received_at);
      -- prune: finished events by age.
      CREATE INDEX events_status_updated ON events (status, updated_at);

      CREATE TABLE attempts (
        event_id TEXT NOT NULL,
        number INTEGER NOT NULL,
        trigger TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        error TEXT,
        PRIMARY KEY (event_id, number)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE resources (
        event_id TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        downloaded_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE watermarks (
        integration TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        entity_type TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        occurred_at INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        downloaded_at INTEGER NOT NULL,
        PRIMARY KEY (integration, tenant_id, entity_type, entity_id)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    // claimDue walks each due state in index order instead of sorting the whole backlog every pass.
    version: 2,
    sql: `CREATE INDEX events_claim_order ON events (status, next_attempt_at, id);`,
  },
  {
    // Reconciliation: how far each tenant's entity types were reconciled, the one-reconciler lease, the run log.
    version: 3,
    sql: `
      CREATE TABLE reconcile_watermarks (
        integration TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        entity_type TEXT NOT NULL,
        changed_through INTEGER NOT NULL,
        PRIMARY KEY (integration, tenant_id, entity_type)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE reconcile_leases (
        integration TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        holder TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (integration, tenant_id)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE reconcile_runs (
        id TEXT PRIMARY KEY,
        integration TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        run TEXT NOT NULL
      ) STRICT;
      CREATE INDEX reconcile_runs_tenant ON reconcile_runs (integration, tenant_id, id);
    `,
  },
  {
    // The download sequence: "which data is newer" by a counter in the file, not by a worker's clock.
    version: 4,
    sql: `
      ALTER TABLE watermarks ADD COLUMN download_seq INTEGER;
      CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT, WITHOUT ROWID;
      INSERT INTO counters (name, value) VALUES ('download_sequence', 0);
    `,
  },
  {
    // The shared-state capability: settings and token sets (records), single-flight refreshes (leases).
    version: 5,
    sql: SHARED_STATE_TABLES,
  },
  {
    // events_due (status, next_attempt_at) is a prefix of events_claim_order (status, next_attempt_at, id),
    // which serves every query it served; one index fewer to write with every event.
    version: 6,
    sql: "DROP INDEX IF EXISTS events_due;",
  },
  {
    // Group claims read each (integration, tenant, type) group's due work in claim order, unfinished events
    // only, and find interrupted attempts without walking the backlog.
    version: 7,
    sql: `
      CREATE INDEX events_group_due ON events (integration, tenant_id, entity_type, next_attempt_at, id)
        WHERE status IN ('queued', 'retrying', 'processing');
      CREATE INDEX events_started ON events (next_attempt_at, id)
        WHERE attempts_started > attempts_finished AND status IN ('queued', 'retrying', 'processing');
    `,
  },
];

/** The newest schema version this code knows. */
export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1]!.version;

/**
 * Brings the schema up to {@link SQLITE_SCHEMA_VERSION}. Idempotent. Runs under `BEGIN IMMEDIATE`, so a
 * second process opening the same file at the same moment waits, then sees the schema already there.
 * Returns the version found before, or throws when the file was written by a newer version.
 */
export function runSqliteMigrations(db: Database): number {
  const apply = db.transaction(() => {
    db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY) STRICT");
    const row = db.prepare("SELECT COALESCE(MAX(version), 0) AS version FROM schema_version").get() as { version: number };
    if (row.version > SQLITE_SCHEMA_VERSION) {
      throw new Error(`database schema version ${row.version} is newer than this webhook-inbox supports (${SQLITE_SCHEMA_VERSION})`);
    }
    const insertVersion = db.prepare("INSERT INTO schema_version (version) VALUES (?)");
    for (const migration of SQLITE_MIGRATIONS) {
      if (migration.version <= row.version) continue;
      db.exec(migration.sql);
      insertVersion.run(migration.version);
    }
    return row.version;
  });
  return apply.immediate();
}
