/**
 * The claim's SQL (PostgresStore), built once per schema: the per-entity advisory locks, the event-by-event
 * and the group claims, the lease they take (or the poison mark), and startAttempts. Leases are timed on
 * the database's clock (LEASE_NOW), so a worker whose clock is fast cannot take over a live lease.
 */

/** An event's entity as the int4 key of its advisory lock (a collision only keeps two entities apart a moment longer). */
const ENTITY_HASH = (e: string) => `hashtext(${e}.integration || chr(31) || ${e}.tenant_id || chr(31) || ${e}.entity_type || chr(31) || ${e}.entity_id)`;

/**
 * The database's time for lease comparisons: the statement's start, stable within it (a lease that
 * expires while the statement waits for a row lock still counts as live: the cautious side).
 */
export const LEASE_NOW = "statement_timestamp()";

/** An event whose started-but-unfinished attempts reached its limit (read before the claim's update). */
const POISON = "(e.attempts_started - e.attempts_finished >= e.max_attempts)";

/** Claim statements for one schema (`s` is the quoted schema name); part of `buildQueries`. */
export function buildClaimQueries(s: string) {
  // The advisory-lock namespace of this schema's entity claims (the two-int4 key space, apart from migrate's bigint one).
  // (`s` is a validated identifier in double quotes: safe inside a string literal.)
  const entityLocks = `hashtext('webhook-inbox:entity:${s}')`;
  // One worker per entity at a time: another worker holding a live lease on an event of the same
  // entity would judge staleness against the same watermark and could apply older data last.
  const notBusy = `not exists (
      select 1 from ${s}.events busy
      where busy.integration = c.integration and busy.tenant_id = c.tenant_id
        and busy.entity_type = c.entity_type and busy.entity_id = c.entity_id
        and busy.status = 'processing' and busy.lease_expires_at > ${LEASE_NOW} and busy.id <> c.id)`;
  // The same check as a probe of events_entity per row of alias `e`: OFFSET 0 keeps it a subplan (never an
  // anti-join), so the plan stays a probe of the row's entity even before the table has statistics (a
  // freshly loaded table gives every group-equality a default selectivity, and a join then scans the group).
  const freeEntity = (e: string) => `not exists (
      select 1 from ${s}.events busy
      where busy.integration = ${e}.integration and busy.tenant_id = ${e}.tenant_id
        and busy.entity_type = ${e}.entity_type and busy.entity_id = ${e}.entity_id
        and busy.status = 'processing' and busy.lease_expires_at > ${LEASE_NOW} and busy.id <> ${e}.id
      offset 0)`;
  // Leases the rows of the "due" CTE (attempts count as started later, in startAttempts), or marks poison events failed. $1 now, $3 lease length in ms (timed on the database's clock), $4 worker,
  // $5 poison message template, $6 the number placeholder in it.
  const leaseDue = `update ${s}.events e set
  status = case when ${POISON} then 'failed' else 'processing' end,
  lease_token = case when ${POISON} then null else gen_random_uuid()::text end,
  lease_expires_at = case when ${POISON} then null else clock_timestamp() + $3::double precision * interval '1 millisecond' end,
  locked_by = case when ${POISON} then null else $4::text end,
  last_error = case when ${POISON} then replace($5::text, $6::text, (e.attempts_started - e.attempts_finished)::text) else e.last_error end,
  updated_at = $1
-- An id array, not a join: the planner then always probes the primary key instead of hashing
-- a scan of the whole table. SET reads the values the lock keeps current.
where e.id = any(array(select id from due))
returning e.*, e.status = 'failed' as poison`;
  // Claimable at $1: queued/retrying whose time came, processing whose lease expired (due_at is next_attempt_at).
  const claimable = `c.due_at <= $1 and (c.status <> 'processing' or c.lease_expires_at <= ${LEASE_NOW})`;
  return {
    /**
     * First statement of a claim's transaction: walks due events in claim order and takes the
     * per-entity advisory lock (held to COMMIT) of their entities, until $2 events' locks are taken,
     * returning those entity keys. Another worker's claim that has not committed yet holds its
     * entities' locks, so they are passed over; once it commits, its leases are visible to the claim
     * statement that follows (a new READ COMMITTED snapshot, taken after these locks were granted).
     * The volatile lock call is not pushed into the ordered subquery, so it runs in order and stops at
     * the LIMIT. $1 now, $2 limit, $3 entity keys this claim already tried, $4 optional ids.
     */
    lockDueEntities: (withIds: boolean) => `
select k.entity_key
from (
  select ${ENTITY_HASH("c")} as entity_key
  from ${s}.events c
  where c.due_at <= $1
    and (c.status <> 'processing' or c.lease_expires_at <= ${LEASE_NOW})
    ${withIds ? "and c.id = any($4::text[])" : ""}
    and ${notBusy}
  order by c.due_at, c.id
) k
where k.entity_key <> all($3::int[]) and pg_try_advisory_xact_lock(${entityLocks}, k.entity_key)
limit $2`,

    /**
     * Group claim: the heads of the groups with due work. A loose index scan of events_group_due finds
     * each (integration, tenant, type) group with unfinished events (one probe per group), then each
     * group's earliest claimable due time (stepping over live leases only). $1 now.
     */
    dueGroupHeads: `
with recursive g as (
  (select c.integration, c.tenant_id, c.entity_type from ${s}.events c
   where c.due_at is not null
   order by c.integration, c.tenant_id, c.entity_type, c.due_at limit 1)
  union all
  select n.integration, n.tenant_id, n.entity_type
  from g cross join lateral (
    select c.integration, c.tenant_id, c.entity_type from ${s}.events c
    where c.due_at is not null and (c.integration, c.tenant_id, c.entity_type) > (g.integration, g.tenant_id, g.entity_type)
    -- due_at in the order: only events_group_due (unfinished events) serves it, not events_entity (every event).
    order by c.integration, c.tenant_id, c.entity_type, c.due_at limit 1
  ) n
)
select g.integration, g.tenant_id, g.entity_type, (extract(epoch from h.due_at) * 1000)::float8 as due_ms
from g cross join lateral (
  select c.due_at from ${s}.events c
  where c.integration = g.integration and c.tenant_id = g.tenant_id and c.entity_type = g.entity_type and ${claimable}
  order by c.due_at, c.id limit 1
) h`,

    /**
     * Group claim: the group's claimable events of entities no live lease holds, in claim order (due_at,
     * id), $5 at a time, after ($6 due_at, $7 id) unless FIRST. The claim reads a group only as far as its
     * plan takes it. $1 now, $2 integration, $3 tenant, $4 type.
     */
    groupDueEvents: (first: boolean) => `
select c.entity_id, c.due_at::text as due_key, c.id
from ${s}.events c
where c.integration = $2 and c.tenant_id = $3 and c.entity_type = $4 and ${claimable}
  ${first ? "" : "and (c.due_at, c.id) > ($6::timestamptz, $7::text)"}
  and ${freeEntity("c")}
order by c.due_at, c.id
limit $5`,

    /**
     * Group claim, before the plan: the earliest-due claimable event with an interrupted attempt (its
     * handler started, nothing finished it) of a free entity, with that entity's advisory lock: it is
     * claimed alone, so a poison event cannot take its neighbours with it. events_started holds only
     * unfinished events with a started, unfinished attempt. $1 now.
     */
    lockSuspect: `
select k.integration, k.tenant_id, k.entity_type, k.entity_id
from (
  select c.integration, c.tenant_id, c.entity_type, c.entity_id, ${ENTITY_HASH("c")} as entity_key
  from ${s}.events c
  where c.attempts_started > c.attempts_finished and c.due_at is not null and ${claimable}
    and ${freeEntity("c")}
  order by c.due_at, c.id
  offset 0
) k
where pg_try_advisory_xact_lock(${entityLocks}, k.entity_key)
limit 1`,

    /** startAttempts ($1: jsonb rows of event_id, lease_token): counts the attempt started while the lease is still that one. */
    startAttempts: `
with i as (select * from jsonb_to_recordset($1::jsonb) as i(event_id text, lease_token text))
update ${s}.events e set attempts_started = e.attempts_started + 1
from i
where e.id = any(array(select event_id from i)) and e.id = i.event_id and e.lease_token = i.lease_token
returning e.id`,

    /**
     * Group claim: takes the advisory locks (held to COMMIT, as lockDueEntities) of the group's candidate
     * entities ($4, earliest due first), in order, until $5 are locked; an entity another claim holds, or
     * has committed a lease on since the candidates were read, is passed over. $1 integration, $2 tenant, $3 type.
     */
    lockGroupEntities: `
select k.entity_id, k.ord
from (
  select e.entity_id, e.ord from unnest($4::text[]) with ordinality as e(entity_id, ord)
  order by e.ord
  -- OFFSET 0 keeps the lock call out of the subquery: it runs in order and stops at the LIMIT.
  offset 0
) k
where pg_try_advisory_xact_lock(${entityLocks}, hashtext($1::text || chr(31) || $2::text || chr(31) || $3::text || chr(31) || k.entity_id))
  -- Read after the lock was granted (this statement's snapshot): a claim that committed the entity
  -- since the candidates were read holds a live lease on it now.
  and not exists (
    select 1 from ${s}.events b
    where b.integration = $1 and b.tenant_id = $2 and b.entity_type = $3 and b.entity_id = k.entity_id
      and b.status = 'processing' and b.lease_expires_at > ${LEASE_NOW}
    offset 0)
limit $5`,

    /**
     * Group claim: leases every claimable event of the locked entities ($9, ids in the group of
     * $2 integration, $7 tenant, $8 type); the rest of the parameters as claimDue's. The entities'
     * leases are read again here: this statement's snapshot sees every claim committed before the locks.
     */
    claimGroupEntities: `
with due as (
  select c.id
  from ${s}.events c
  -- Each entity's events by a probe of events_entity (OFFSET 0: a per-entity subplan, whatever the statistics).
  where c.id = any(array(
    select p.id from unnest($9::text[]) as x(entity_id)
    cross join lateral (
      select e.id from ${s}.events e
      where e.integration = $2 and e.tenant_id = $7 and e.entity_type = $8 and e.entity_id = x.entity_id
        -- Claimable, spelt without due_at (next_attempt_at is due_at for these statuses), so that no plan reads
        -- the group along events_group_due instead of probing the entity.
        and e.status in ('queued', 'retrying', 'processing') and e.next_attempt_at <= $1
        and (e.status <> 'processing' or e.lease_expires_at <= ${LEASE_NOW})
        and ${freeEntity("e")}
      offset 0
    ) p
  ))
    and ${claimable}
  for update skip locked
)
${leaseDue}`,

    /**
     * The claim: ONE statement (graphile-worker getJobs). SKIP LOCKED lets concurrent claimers pass
     * each other; an event whose started-but-unfinished attempts reached max_attempts is marked
     * failed (poison) instead of being leased. $1 now, $2 limit, $3 lease length in ms (from the
     * database's clock_timestamp(), when the row is actually leased), $4 worker,
     * $5 poison message template, $6 the number placeholder in it, $7 the entity keys this
     * transaction holds the advisory locks of (lockDueEntities), $8 optional ids.
     */
    claimDue: (withIds: boolean) => `
with due as (
  select c.id
  from ${s}.events c
  -- due_at is next_attempt_at for queued, retrying and processing events. A leased event's
  -- next_attempt_at is at or before its claim, hence before its lease expiry, so "due_at <= now"
  -- holds for everything claimable: the claim walks events_due in order, no sort of all due rows.
  where c.due_at <= $1
    and (c.status <> 'processing' or c.lease_expires_at <= ${LEASE_NOW})
    ${withIds ? "and c.id = any($8::text[])" : ""}
    -- Only entities whose advisory lock this transaction holds: no other claim of them is in flight.
    and ${ENTITY_HASH("c")} = any($7::int[])
    -- One worker per entity at a time: another worker holding a live lease on an event of the same
    -- entity would judge staleness against the same watermark and could apply older data last.
    and ${notBusy}
  order by c.due_at, c.id
  limit $2
  for update skip locked
)
${leaseDue}`,
  };
}
