/**
 * Versioned schema migrations, kept as TS strings so the bundle never reads the filesystem
 * (graphile-worker's generated `sql.ts`). Append new versions; never edit an applied one.
 *
 * Conventions:
 * - ids are `text COLLATE "C"`: byte order, so `ORDER BY id` is the same as comparing the
 *   UUIDv7 strings in JavaScript (keyset paging and the watermark tie-break rely on it).
 * - Every time is written by the caller (the core's clock); no column defaults to now().
 */

/** One schema version. `sql` receives the quoted schema name (`"webhook_inbox"`). */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: (schema: string) => string;
}

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
  delivery_id text collate "C" not null references ${s}.deliveries (id),
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
  locked_by text
);
-- The claim walks this index in (next_attempt_at, id) order and stops after LIMIT rows;
-- live leases are the only rows it steps over.
create index events_claimable on ${s}.events (next_attempt_at, id) where status in ('queued', 'retrying', 'processing');
create index events_lease on ${s}.events (lease_expires_at) where status = 'processing';
create index events_status on ${s}.events (status, id);
create index events_integration_status on ${s}.events (integration, status);
create index events_entity on ${s}.events (integration, tenant_id, entity_type, entity_id);
create index events_received_at on ${s}.events (received_at);
create index events_delivery_id on ${s}.events (delivery_id);
-- prune: finished events by age.
create index events_prunable on ${s}.events (updated_at) where status in ('succeeded', 'stale');

create table ${s}.attempts (
  event_id text collate "C" not null references ${s}.events (id) on delete cascade,
  number integer not null,
  trigger text not null,
  started_at timestamptz not null,
  ended_at timestamptz not null,
  outcome text not null,
  error text,
  primary key (event_id, number)
);

create table ${s}.resources (
  event_id text collate "C" primary key references ${s}.events (id) on delete cascade,
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
];
