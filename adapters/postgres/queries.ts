/**
 * The SQL PostgresStore runs, built once per schema (the claim's statements in claim-queries.ts). A batch
 * is one statement, not one round trip per row: the insert sends events as typed column arrays (unnest)
 * and deliveries as one JSON array, the finish and the other batches as one jsonb parameter
 * (`jsonb_to_recordset`). Times come from the caller ($n), except leases: they are timed on the
 * database's clock (LEASE_NOW, clock_timestamp()), so a worker whose clock is fast cannot take over a
 * live lease and one whose clock is slow cannot hold an expired one.
 */

import { buildClaimQueries, LEASE_NOW } from "./claim-queries.ts";

/** Transaction control, on a client checked out of the pool. */
export const TRANSACTION = { begin: "begin", commit: "commit", rollback: "rollback" } as const;

/** Columns of an event row, in insert order (shared by insertDelivery and updateDelivery). */
const EVENT_INSERT = `
  insert into %s.events (
    id, delivery_id, integration, provider, tenant_id, entity_type, entity_id, operation, deleted,
    occurred_at, received_at, mode, status, max_attempts, next_attempt_at, next_trigger, payload, updated_at
  )
  select
    x.id, x.delivery_id, x.integration, x.provider, x.tenant_id, x.entity_type, x.entity_id, x.operation, x.deleted,
    x.occurred_at, x.received_at, x.mode, x.status, x.max_attempts, x.next_attempt_at, x.next_trigger, x.payload, x.received_at
  from jsonb_to_recordset(%p::jsonb) as x(
    owner text, id text, delivery_id text, integration text, provider text, tenant_id text, entity_type text,
    entity_id text, operation text, deleted boolean, occurred_at timestamptz, received_at timestamptz, mode text,
    status text, max_attempts integer, next_attempt_at timestamptz, next_trigger text, payload jsonb
  )`;

/**
 * Deliveries of the insert statements: $1 a JSON array of rows (json_to_recordset: parsed once, no
 * jsonb built), $2 every raw body back to back in one bytea (binary parameter), sliced by each row's
 * 1-based offset and length.
 */
const DELIVERY_RECORDSET = `json_to_recordset($1::json) as d(
    id text, integration text, provider text, tenant_ids text[], received_at timestamptz, headers jsonb,
    body_offset integer, body_length integer, dedupe_key text, status text, reason text, response jsonb, duplicate_of text, event_count integer
  )`;

const DELIVERY_INSERT_COLUMNS = `id, integration, provider, tenant_ids, received_at, headers, raw_body, dedupe_key, status, reason, response, duplicate_of, event_count`;
const DELIVERY_SELECT_VALUES = `d.id, d.integration, d.provider, d.tenant_ids, d.received_at, d.headers, substring($2::bytea from d.body_offset for d.body_length),
    d.dedupe_key, d.status, d.reason, d.response, d.duplicate_of, d.event_count`;

/**
 * Events of insertGroup as column arrays ($3–$21, rows.ts `eventParams`), times as epoch
 * milliseconds, the payloads' JSON texts back to back in one bytea ($22). unnest of typed arrays
 * costs the server far less than a JSON document repeating every key per event (measured: a third
 * of the statement's CPU), and the payload column is `json`: validated, stored as written.
 */
const EVENT_COLUMNS_INSERT = (s: string) => `
  insert into ${s}.events (
    id, delivery_id, integration, provider, tenant_id, entity_type, entity_id, operation, deleted,
    occurred_at, received_at, mode, status, max_attempts, next_attempt_at, next_trigger, payload, updated_at
  )
  select
    x.id, x.delivery_id, x.integration, x.provider, x.tenant_id, x.entity_type, x.entity_id, x.operation, x.deleted,
    to_timestamp(x.occurred_ms / 1000), to_timestamp(x.received_ms / 1000), x.mode, x.status, x.max_attempts,
    to_timestamp(x.next_attempt_ms / 1000), x.next_trigger,
    convert_from(substring($22::bytea from x.payload_offset for x.payload_length), 'UTF8')::json,
    to_timestamp(x.received_ms / 1000)
  from unnest(
    $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::boolean[],
    $13::float8[], $14::float8[], $15::text[], $16::text[], $17::integer[], $18::float8[], $19::text[], $20::integer[], $21::integer[]
  ) as x(
    owner, id, delivery_id, integration, provider, tenant_id, entity_type, entity_id, operation, deleted,
    occurred_ms, received_ms, mode, status, max_attempts, next_attempt_ms, next_trigger, payload_offset, payload_length
  )`;

/** Every column of a delivery but the body: what lists return. */
export const DELIVERY_SUMMARY_COLUMNS = `id, integration, provider, tenant_ids, received_at, headers, dedupe_key, status, reason, response, duplicate_of, event_count`;

/** Statements for one schema (`s` is the quoted schema name). */
export function buildQueries(s: string, channel: string | null) {
  const events = (param: string) => EVENT_INSERT.replace("%s", () => s).replace("%p", () => param);
  // pg_notify inside the statement: delivered at commit, and only when an event stored is due at once
  // (a `delayed` event is found by the scheduler when its time comes; waking every worker now is waste).
  const notifyIfEvents = channel === null ? "" : `, (select pg_notify('${channel}', '') from (select 1 from ev where due_now limit 1) t) as notified`;

  return {
    ...buildClaimQueries(s),
    advisoryLock: `select pg_advisory_xact_lock(hashtext($1))`,

    createSchema: `create schema if not exists ${s}`,
    createMigrations: `create table if not exists ${s}.migrations (version integer primary key, name text not null)`,
    appliedVersion: `select coalesce(max(version), 0)::int as version from ${s}.migrations`,
    recordMigration: `insert into ${s}.migrations (version, name) values ($1, $2)`,

    /**
     * Inserts a group of deliveries ($1, $2) and the events ($3–$22) of those that were stored. A dedupe key
     * already taken makes its delivery skip (ON CONFLICT on the partial unique index); the caller
     * looks up the holder and stores the request as a duplicate.
     */
    insertGroup: `
with ins as (
  insert into ${s}.deliveries (${DELIVERY_INSERT_COLUMNS})
  select ${DELIVERY_SELECT_VALUES}
  from ${DELIVERY_RECORDSET}
  on conflict (dedupe_key) where dedupe_key is not null do nothing
  returning id
), ev as (
  ${EVENT_COLUMNS_INSERT(s)}
  join ins on ins.id = x.owner
  returning next_attempt_at <= received_at as due_now
)
select coalesce((select array_agg(id) from ins), '{}') as ids${notifyIfEvents}`,

    /** Duplicates: stored without a key and without events, pointing at the original. */
    insertDuplicates: `
insert into ${s}.deliveries (${DELIVERY_INSERT_COLUMNS})
select ${DELIVERY_SELECT_VALUES}
from ${DELIVERY_RECORDSET}`,

    dedupeHolders: `select id, dedupe_key from ${s}.deliveries where dedupe_key = any($1::text[])`,

    /**
     * updateDelivery: $1 id, then the SET list built by the caller (and the `ifStatus` guard); new
     * events ($2) are inserted only when the row was updated, in the same statement.
     */
    updateDelivery: (setList: string, guard: string) => `
with upd as (
  update ${s}.deliveries set ${setList} where id = $1${guard} returning id
), ev as (
  ${events("$2")}
  join upd on upd.id = x.owner
  returning next_attempt_at <= received_at as due_now
)
select (select count(*) from upd)::int as updated${notifyIfEvents}`,

    getDelivery: `select ${DELIVERY_SUMMARY_COLUMNS}, raw_body from ${s}.deliveries where id = $1`,

    /**
     * Finishes a batch ($1: one jsonb row per finish, event ids unique) in one statement: each row
     * applies only while its lease token still owns the event; the attempt, resource and watermark
     * writes join on the rows that applied. Watermarks only move forward by (occurred_at, event_id)
     * and keep the latest download time.
     */
    finishAttempts: `
with i as (
  select * from jsonb_to_recordset($1::jsonb) as i(
    event_id text, lease_token text, has_attempt boolean, trigger text, started_at timestamptz,
    ended_at timestamptz, outcome text, error text, status text, attempts_made integer,
    next_attempt_at timestamptz, next_trigger text, last_error text, has_superseded boolean,
    superseded_by text, has_resource boolean, resource_data jsonb, downloaded_at timestamptz,
    has_watermark boolean, wm_integration text, wm_tenant_id text, wm_entity_type text, wm_entity_id text,
    wm_occurred_at timestamptz, wm_event_id text, wm_downloaded_at timestamptz, wm_download_seq bigint, now timestamptz
  )
), done as (
  update ${s}.events e set
    status = i.status,
    attempts_made = i.attempts_made,
    -- startAttempts counted the start of a handler; a finish without one counts as started and finished.
    attempts_finished = e.attempts_finished + 1,
    attempts_started = greatest(e.attempts_started, e.attempts_finished + 1),
    attempts_recorded = e.attempts_recorded + case when i.has_attempt then 1 else 0 end,
    next_attempt_at = coalesce(i.next_attempt_at, e.next_attempt_at),
    next_trigger = i.next_trigger,
    last_error = i.last_error,
    superseded_by = case when i.has_superseded then i.superseded_by else e.superseded_by end,
    updated_at = i.now,
    lease_token = null,
    lease_expires_at = null,
    locked_by = null
  from i
  -- The id array lets the planner probe the primary key rather than hash-join a table scan.
  where e.id = any(array(select event_id from i)) and e.id = i.event_id and e.lease_token = i.lease_token
  returning e.id, e.attempts_recorded
), attempt_rows as (
  insert into ${s}.attempts (event_id, number, trigger, started_at, ended_at, outcome, error)
  select i.event_id, done.attempts_recorded, i.trigger, i.started_at, i.ended_at, i.outcome, i.error
  from done join i on i.event_id = done.id
  where i.has_attempt
), resource_rows as (
  insert into ${s}.resources (event_id, data, downloaded_at)
  select i.event_id, i.resource_data, i.downloaded_at
  from done join i on i.event_id = done.id
  where i.has_resource
  on conflict (event_id) do update set data = excluded.data, downloaded_at = excluded.downloaded_at
), marks as (
  -- One row per entity (ON CONFLICT may touch a row once per statement): the newest mark, with
  -- the latest download time among the batch's marks for that entity.
  select distinct on (i.wm_integration, i.wm_tenant_id, i.wm_entity_type, i.wm_entity_id)
    i.wm_integration, i.wm_tenant_id, i.wm_entity_type, i.wm_entity_id, i.wm_occurred_at, i.wm_event_id,
    max(i.wm_downloaded_at) over (partition by i.wm_integration, i.wm_tenant_id, i.wm_entity_type, i.wm_entity_id) as wm_downloaded_at,
    max(i.wm_download_seq) over (partition by i.wm_integration, i.wm_tenant_id, i.wm_entity_type, i.wm_entity_id) as wm_download_seq
  from done join i on i.event_id = done.id
  where i.has_watermark
  order by i.wm_integration, i.wm_tenant_id, i.wm_entity_type, i.wm_entity_id, i.wm_occurred_at desc, i.wm_event_id collate "C" desc
), mark_rows as (
  insert into ${s}.watermarks as w (integration, tenant_id, entity_type, entity_id, occurred_at, event_id, downloaded_at, download_seq)
  select wm_integration, wm_tenant_id, wm_entity_type, wm_entity_id, wm_occurred_at, wm_event_id, wm_downloaded_at, wm_download_seq from marks
  on conflict (integration, tenant_id, entity_type, entity_id) do update set
    occurred_at = case when (excluded.occurred_at, excluded.event_id) > (w.occurred_at, w.event_id) then excluded.occurred_at else w.occurred_at end,
    event_id = case when (excluded.occurred_at, excluded.event_id) > (w.occurred_at, w.event_id) then excluded.event_id else w.event_id end,
    downloaded_at = greatest(w.downloaded_at, excluded.downloaded_at),
    -- greatest() ignores NULL: a mark from before the sequence existed is below any sequenced download.
    download_seq = greatest(w.download_seq, excluded.download_seq)
)
select id from done`,

    /** requeue: $1 now; the WHERE (ids and/or filter) is appended by the caller. */
    requeue: (where: string) => `
with r as (
  update ${s}.events set
    status = 'queued', next_attempt_at = $1, next_trigger = 'manual', superseded_by = null, updated_at = $1,
    lease_token = null, lease_expires_at = null, locked_by = null, attempts_finished = attempts_started
  where status <> 'succeeded'
    and not (status = 'processing' and lease_token is not null and lease_expires_at > ${LEASE_NOW})
    ${where}
  returning id
)
select coalesce((select array_agg(id order by id) from r), '{}') as ids${channel === null ? "" : `, (select pg_notify('${channel}', '') from (select 1 from r limit 1) t) as notified`}`,

    nextDownloadSequence: `select nextval('${s}.download_sequence')::text as value`,

    getWatermarks: `
select w.* from ${s}.watermarks w
join jsonb_to_recordset($1::jsonb) as k(integration text, tenant_id text, entity_type text, entity_id text)
  on w.integration = k.integration and w.tenant_id = k.tenant_id and w.entity_type = k.entity_type and w.entity_id = k.entity_id`,

    /** One event with its attempts (oldest first) and resource data, in one snapshot. */
    getEvent: `
select e.*,
  coalesce((
    select jsonb_agg(jsonb_build_object(
      'number', a.number, 'trigger', a.trigger, 'startedAt', a.started_at, 'endedAt', a.ended_at,
      'outcome', a.outcome, 'error', a.error) order by a.number)
    from ${s}.attempts a where a.event_id = e.id
  ), '[]'::jsonb) as attempt_list,
  r.data as resource_data, r.downloaded_at as resource_downloaded_at, r.event_id is not null as has_resource
from ${s}.events e
left join ${s}.resources r on r.event_id = e.id
where e.id = $1`,

    listEvents: (where: string, limitParam: string) => `select * from ${s}.events where true ${where} order by id desc limit ${limitParam}`,
    listDeliveries: (where: string, limitParam: string) =>
      `select ${DELIVERY_SUMMARY_COLUMNS} from ${s}.deliveries where true ${where} order by id desc limit ${limitParam}`,
    countEvents: (where: string) =>
      `select integration, status, count(*)::int as count from ${s}.events where true ${where} group by integration, status order by integration, status`,

    /**
     * Queued and retrying events by events_due; leases by events_status (only the events in flight),
     * their expiry moved from the database's clock to the caller's ($1, its now; raw when null).
     * least() ignores NULLs.
     */
    nextDueAt: `
select least(
  (select min(due_at) from ${s}.events where due_at is not null and status <> 'processing'),
  (select min(case when lease_expires_at is null then next_attempt_at
                   else coalesce($1::timestamptz, ${LEASE_NOW}) + (lease_expires_at - ${LEASE_NOW}) end)
   from ${s}.events where status = 'processing')
) as due`,

    /** Finished events older than $1, with their attempts and resource data, in one statement. */
    pruneEvents: `
with gone as (
  delete from ${s}.events where status in ('succeeded', 'stale') and updated_at < $1
  returning id, delivery_id
), attempt_rows as (
  delete from ${s}.attempts where event_id in (select id from gone)
), resource_rows as (
  delete from ${s}.resources where event_id in (select id from gone)
)
select delivery_id from gone`,
    /** Deliveries received before $1 that hold no events (left empty, refused, duplicates, direct): unparseable ones wait for an operator. */
    pruneDeliveries: `
delete from ${s}.deliveries d
where d.received_at < $1 and d.status <> 'unparseable'
  and not exists (select 1 from ${s}.events e where e.delivery_id = d.id)`,
  };
}

/** The statements of one schema. */
export type Queries = ReturnType<typeof buildQueries>;
