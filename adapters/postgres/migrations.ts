/**
 * Versioned schema migrations, kept as TS strings so the bundle never reads the filesystem
 * (graphile-worker's generated `sql.ts`). Append new versions; never edit an applied one.
 *
 * Conventions:
 * - ids are `text COLLATE "C"`: byte order, so `ORDER BY id` is the same as comparing the
 *   UUIDv7 strings in JavaScript (keyset paging and the watermark tie-break rely on it).
 * - Every time is written by the caller (the core's clock); no column defaults to now().
 * - No foreign keys: each check costs a lookup and a row lock per inserted row (measured at 60 µs
 *   per attempt row), and every write that links rows is one statement that inserts the child
 *   only for the parent rows it just wrote. prune() deletes children explicitly.
 */
import { rateBudgetLeanFunctionsSql, rateBudgetMigrationSql } from "./rate-budget-schema.ts";

import { sharedStateTables } from "./shared-state.ts";

/** One schema version. `sql` receives the quoted schema name (`"webhook_inbox"`). */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: (schema: string) => string;
}

/** Every schema version, oldest first; `migrate()` applies those above the recorded version. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial tables",
    sql: (s) => `
create table ${s}.deliveries (
  id text collate "C" primary key,
  integration text not null,
  provider text not null,
  tenant_ids text[] not null,
  received_at timestamptz not null,
  headers jsonb not null,
  raw_body bytea not null,
  dedupe_key text,
  status text not null,
  reason text,
  response jsonb,
  duplicate_of text collate "C",
  event_count integer not null default 0
);
-- Only live keys are unique: duplicates and rejected requests keep no key (NULL).
create unique index deliveries_dedupe_key on ${s}.deliveries (dedupe_key) where dedupe_key is not null;
create index deliveries_received_at on ${s}.deliveries (received_at);
create index deliveries_integration_id on ${s}.deliveries (integration, id);

create table ${s}.events (
  id text collate "C" primary key,
  delivery_id text collate "C" not null,
  integration text not null,
  provider text not null,
  tenant_id text not null,
  entity_type text not null,
  entity_id text not null,
  operation text not null,
  deleted boolean not null,
  occurred_at timestamptz not null,
  received_at timestamptz not null,
  mode text not null,
  status text not null,
  max_attempts integer not null,
  next_attempt_at timestamptz not null,
  next_trigger text not null,
  payload jsonb,
  attempts_made integer not null default 0,
  attempts_started integer not null default 0,
  attempts_finished integer not null default 0,
  -- Attempt rows written so far: numbers the next one without counting.
  attempts_recorded integer not null default 0,
  last_error text,
  superseded_by text,
  updated_at timestamptz not null,
  lease_token text,
  lease_expires_at timestamptz,
  locked_by text,
  -- next_attempt_at while the event may still be claimed, else NULL: the claim's sort key. Being
  -- NULL for finished events keeps them out of the claim index, and the planner estimates
  -- "due_at <= now" well even before the table has statistics (a freshly migrated schema).
  due_at timestamptz generated always as (
    case when status in ('queued', 'retrying', 'processing') then next_attempt_at end
  ) stored
);
-- The claim walks this index in (due_at, id) order and stops after LIMIT rows; live leases are
-- the only rows it steps over.
create index events_due on ${s}.events (due_at, id) where due_at is not null;
create index events_status on ${s}.events (status, id);
create index events_entity on ${s}.events (integration, tenant_id, entity_type, entity_id);
create index events_received_at on ${s}.events (received_at);
create index events_delivery_id on ${s}.events (delivery_id);

create table ${s}.attempts (
  event_id text collate "C" not null,
  number integer not null,
  trigger text not null,
  started_at timestamptz not null,
  ended_at timestamptz not null,
  outcome text not null,
  error text,
  primary key (event_id, number)
);

create table ${s}.resources (
  event_id text collate "C" primary key,
  data jsonb,
  downloaded_at timestamptz not null
);

create table ${s}.watermarks (
  integration text not null,
  tenant_id text not null,
  entity_type text not null,
  entity_id text not null,
  occurred_at timestamptz not null,
  event_id text collate "C" not null,
  downloaded_at timestamptz not null,
  primary key (integration, tenant_id, entity_type, entity_id)
);
`,
  },
  {
    version: 2,
    name: "reconciliation",
    sql: (s) => `
create table ${s}.reconcile_watermarks (
  integration text not null,
  tenant_id text not null,
  entity_type text not null,
  changed_through timestamptz not null,
  primary key (integration, tenant_id, entity_type)
);

create table ${s}.reconcile_leases (
  integration text not null,
  tenant_id text not null,
  holder text not null,
  expires_at timestamptz not null,
  primary key (integration, tenant_id)
);

create table ${s}.reconcile_runs (
  id text collate "C" primary key,
  integration text not null,
  tenant_id text not null,
  run jsonb not null
);
create index reconcile_runs_tenant on ${s}.reconcile_runs (integration, tenant_id, id);
`,
  },
  {
    version: 3,
    name: "shared rate budget",
    sql: rateBudgetMigrationSql,
  },
  {
    version: 4,
    name: "download sequence",
    // "Which data is newer" by one database sequence shared by every instance, not by workers' clocks.
    sql: (s) => `
create sequence ${s}.download_sequence;
alter table ${s}.watermarks add column download_seq bigint;
`,
  },
  {
    version: 5,
    name: "shared records and leases (settings, token refreshes)",
    sql: sharedStateTables,
  },
  {
    version: 6,
    name: "shared rate budget: reservations without per-call planning",
    sql: rateBudgetLeanFunctionsSql,
  },
  {
    version: 7,
    name: "cheaper event inserts",
    // payload json, not jsonb: stored as written after a validity check (no binary form built per
    // event on ingest), read back exactly (key order, U+0000). Nothing queries inside a payload; the
    // text search reads payload::text either way.
    // events_received_at goes: no statement but listEvents' receivedFrom/receivedTo filter reads it,
    // and that list pages newest first by id (UUIDv7, in receive order) over the primary key (a range
    // far in the past now steps over the newer events first); every event insert paid for its upkeep.
    sql: (s) => `
alter table ${s}.events alter column payload type json using payload::json;
drop index ${s}.events_received_at;
`,
  },
  {
    version: 8,
    name: "group claim indexes",
    // A group claim reads each (integration, tenant, type) group's due work in claim order (a loose scan
    // finds the groups, one probe each) and finds interrupted attempts without walking the due backlog.
    sql: (s) => `
create index events_group_due on ${s}.events (integration, tenant_id, entity_type, due_at, id) where due_at is not null;
create index events_started on ${s}.events (due_at, id) where attempts_started > attempts_finished and due_at is not null;
`,
  },
];
