/**
 * The shared rate budget's schema (migration 2): two tables and the functions that reserve and end
 * calls in one round trip each.
 *
 * - `rate_budgets`: one row per (provider, tenant), `tenant_id = ''` for the app's budget. Its row
 *   lock serialises the reservations of one budget, and it holds the pause a throttle asked for.
 * - `rate_calls`: per budget and window, the calls counted, one row per millisecond they ended in
 *   (per minute, dated by the minute's end, for windows longer than 10 minutes), and under
 *   `window_name = ''` the calls in flight, dated by when their hold runs out. A window of `limit`
 *   calls therefore keeps at most `limit` rows (a day's window 1,440), and `expires_at` (when a row
 *   counts in no window any more) lets every reservation delete its own expired rows and a few of
 *   everyone else's (SKIP LOCKED, so the sweep never waits).
 *
 * Times are milliseconds since the epoch from the caller's clock, like every time in this schema.
 *
 * `reserve_calls` is plpgsql because a READ COMMITTED statement cannot see what was committed after
 * it began: the function locks the budget rows first (the app's, then the tenant's, always in that
 * order), and each later statement takes a fresh snapshot that includes every reservation that held
 * the lock before it. It never sleeps: it answers granted, or the earliest time the calls fit.
 */

/** Windows longer than this count their calls per minute (as the in-process limiter does). */
export const EXACT_UP_TO_MS = 10 * 60_000;

export const rateBudgetMigrationSql = (s: string): string => `
create table ${s}.rate_budgets (
  provider text not null,
  tenant_id text not null,
  paused_until bigint not null default 0,
  pause_reason jsonb,
  touched_at bigint not null default 0,
  primary key (provider, tenant_id)
);

create table ${s}.rate_calls (
  provider text not null,
  tenant_id text not null,
  window_name text not null,
  at bigint not null,
  calls integer not null,
  expires_at bigint not null,
  primary key (provider, tenant_id, window_name, at)
);
create index rate_calls_expires_at on ${s}.rate_calls (expires_at);

-- The windows a caller passes, as rows: [{"name", "limit", "intervalMs"}].
create function ${s}.rate_windows(p_windows jsonb)
returns table (ord bigint, name text, "limit" integer, interval_ms bigint)
language sql immutable as $fn$
  select w.ord, w.value->>'name', (w.value->>'limit')::integer, (w.value->>'intervalMs')::bigint
  from jsonb_array_elements(p_windows) with ordinality as w(value, ord)
$fn$;

-- Calls counted in one window at p_now: those that ended inside it, and those in flight.
create function ${s}.rate_used(p_provider text, p_tenant text, p_window text, p_interval bigint, p_now bigint)
returns integer language sql stable as $fn$
  select coalesce(sum(c.calls), 0)::integer from ${s}.rate_calls c
  where c.provider = p_provider and c.tenant_id = p_tenant and c.window_name in (p_window, '') and c.at > p_now - p_interval
$fn$;

-- One budget as the dashboard shows it.
create function ${s}.rate_budget_state(p_provider text, p_tenant text, p_windows jsonb, p_now bigint)
returns jsonb language sql stable as $fn$
  select jsonb_build_object(
    'provider', p_provider,
    'tenantId', nullif(p_tenant, ''),
    'pausedUntil', (select b.paused_until from ${s}.rate_budgets b where b.provider = p_provider and b.tenant_id = p_tenant and b.paused_until > p_now),
    'pauseReason', (select b.pause_reason from ${s}.rate_budgets b where b.provider = p_provider and b.tenant_id = p_tenant and b.paused_until > p_now),
    'inFlight', (select coalesce(sum(c.calls), 0) from ${s}.rate_calls c
                 where c.provider = p_provider and c.tenant_id = p_tenant and c.window_name = '' and c.at > p_now),
    'windows', coalesce((select jsonb_agg(jsonb_build_object('name', w.name, 'limit', w."limit", 'intervalMs', w.interval_ms,
                                                             'used', ${s}.rate_used(p_provider, p_tenant, w.name, w.interval_ms, p_now)) order by w.ord)
                         from ${s}.rate_windows(p_windows) w), '[]'::jsonb))
$fn$;

create function ${s}.reserve_calls(
  p_provider text, p_tenant text, p_now bigint, p_count integer, p_hold bigint, p_concurrency integer,
  p_tenant_windows jsonb, p_app_windows jsonb, p_recheck bigint
) returns jsonb language plpgsql as $fn$
declare
  v_has_app boolean := jsonb_array_length(p_app_windows) > 0;
  v_retry bigint := p_now;
  v_w record;
  v_free bigint;
  v_in_flight integer;
  v_granted boolean;
begin
  -- Lock the budgets, app first, creating them on first use.
  if v_has_app then
    insert into ${s}.rate_budgets as b (provider, tenant_id, touched_at) values (p_provider, '', p_now)
    on conflict (provider, tenant_id) do update set touched_at = greatest(b.touched_at, excluded.touched_at);
  end if;
  insert into ${s}.rate_budgets as b (provider, tenant_id, touched_at) values (p_provider, p_tenant, p_now)
  on conflict (provider, tenant_id) do update set touched_at = greatest(b.touched_at, excluded.touched_at);

  -- Rows that count in no window any more: this budget's, then a few of anyone's.
  delete from ${s}.rate_calls where provider = p_provider and tenant_id in (p_tenant, '') and expires_at <= p_now;
  delete from ${s}.rate_calls where ctid = any(array(
    select ctid from ${s}.rate_calls where expires_at <= p_now limit 64 for update skip locked));
  delete from ${s}.rate_budgets where ctid = any(array(
    select b.ctid from ${s}.rate_budgets b
    where b.paused_until <= p_now and b.touched_at <= p_now - 60000
      and not exists (select 1 from ${s}.rate_calls c where c.provider = b.provider and c.tenant_id = b.tenant_id)
    limit 16 for update skip locked));

  -- A pause of the tenant or of the app (shared by every instance).
  select greatest(v_retry, coalesce(max(b.paused_until), 0)) into v_retry
  from ${s}.rate_budgets b where b.provider = p_provider and b.tenant_id in (p_tenant, '');

  -- Every window: when it has room for p_count more calls.
  for v_w in
    select w.*, ${s}.rate_used(p_provider, w.tenant, w.name, w.interval_ms, p_now) as used from (
      select p_tenant as tenant, t.* from ${s}.rate_windows(p_tenant_windows) t
      union all
      select '' as tenant, a.* from ${s}.rate_windows(p_app_windows) a
    ) w
  loop
    if v_w.used + p_count > v_w."limit" then
      -- The ended calls leave oldest first; the one whose leaving frees enough room says when.
      select c.at + v_w.interval_ms into v_free from (
        select r.at, sum(r.calls) over (order by r.at) as freed from ${s}.rate_calls r
        where r.provider = p_provider and r.tenant_id = v_w.tenant and r.window_name = v_w.name and r.at > p_now - v_w.interval_ms
      ) c where c.freed >= v_w.used + p_count - v_w."limit" order by c.at limit 1;
      -- Not enough ended calls: the rest are in flight and leave later; look again soon.
      v_retry := greatest(v_retry, coalesce(v_free, p_now + least(v_w.interval_ms, p_recheck)));
    end if;
  end loop;

  -- Calls in flight for the tenant, from every instance.
  select coalesce(sum(c.calls), 0) into v_in_flight from ${s}.rate_calls c
  where c.provider = p_provider and c.tenant_id = p_tenant and c.window_name = '' and c.at > p_now;
  if v_in_flight + p_count > greatest(1, p_concurrency) then
    v_retry := greatest(v_retry, p_now + p_recheck);
  end if;

  v_granted := v_retry <= p_now;
  if v_granted then
    insert into ${s}.rate_calls as c (provider, tenant_id, window_name, at, calls, expires_at)
    select p_provider, scope.tenant, '', p_now + p_hold, p_count,
           p_now + p_hold + coalesce((select max(w.interval_ms) from ${s}.rate_windows(scope.windows) w), 0)
    from (select p_tenant as tenant, p_tenant_windows as windows
          union all select '', p_app_windows where v_has_app) scope
    on conflict (provider, tenant_id, window_name, at) do update
      set calls = c.calls + excluded.calls, expires_at = greatest(c.expires_at, excluded.expires_at);
  end if;

  return jsonb_build_object(
    'granted', v_granted,
    'retryAt', v_retry,
    'token', (p_now + p_hold)::text,
    'budgets', jsonb_build_array(${s}.rate_budget_state(p_provider, p_tenant, p_tenant_windows, p_now))
               || case when v_has_app then jsonb_build_array(${s}.rate_budget_state(p_provider, '', p_app_windows, p_now)) else '[]'::jsonb end);
end
$fn$;

create function ${s}.end_calls(
  p_provider text, p_tenant text, p_held bigint, p_count integer, p_now bigint,
  p_tenant_windows jsonb, p_app_windows jsonb, p_observed jsonb
) returns void language plpgsql as $fn$
declare
  v_has_app boolean := jsonb_array_length(p_app_windows) > 0;
  v_o record;
  v_missing integer;
begin
  -- No longer in flight...
  delete from ${s}.rate_calls
  where provider = p_provider and tenant_id in (p_tenant, case when v_has_app then '' end)
    and window_name = '' and at = p_held and calls <= p_count;
  update ${s}.rate_calls set calls = calls - p_count
  where provider = p_provider and tenant_id in (p_tenant, case when v_has_app then '' end)
    and window_name = '' and at = p_held;

  -- ...but counted in every window, dated by the end.
  insert into ${s}.rate_calls as c (provider, tenant_id, window_name, at, calls, expires_at)
  select p_provider, w.tenant, w.name, w.at, p_count, w.at + w.interval_ms from (
    select scope.tenant, x.name, x.interval_ms,
           case when x.interval_ms > ${EXACT_UP_TO_MS} then ((p_now + 59999) / 60000) * 60000 else p_now end as at
    from (select p_tenant as tenant, p_tenant_windows as windows union all select '', p_app_windows) scope,
         lateral ${s}.rate_windows(scope.windows) x
  ) w
  on conflict (provider, tenant_id, window_name, at) do update
    set calls = c.calls + excluded.calls, expires_at = greatest(c.expires_at, excluded.expires_at);

  -- The provider says fewer calls are left than we count: the rest were spent elsewhere, now.
  for v_o in
    select w.*, case when o.value->>'scope' = 'app' then '' else p_tenant end as tenant, greatest(0, (o.value->>'remaining')::integer) as remaining
    from jsonb_array_elements(p_observed) o
    join lateral ${s}.rate_windows(case when o.value->>'scope' = 'app' then p_app_windows else p_tenant_windows end) w on w.name = o.value->>'window'
  loop
    v_missing := v_o."limit" - v_o.remaining - ${s}.rate_used(p_provider, v_o.tenant, v_o.name, v_o.interval_ms, p_now);
    if v_missing > 0 then
      insert into ${s}.rate_calls as c (provider, tenant_id, window_name, at, calls, expires_at)
      select p_provider, v_o.tenant, v_o.name, x.at, v_missing, x.at + v_o.interval_ms
      from (select case when v_o.interval_ms > ${EXACT_UP_TO_MS} then ((p_now + 59999) / 60000) * 60000 else p_now end as at) x
      on conflict (provider, tenant_id, window_name, at) do update
        set calls = c.calls + excluded.calls, expires_at = greatest(c.expires_at, excluded.expires_at);
    end if;
  end loop;
end
$fn$;
`;

/**
 * Migration 6: the same `reserve_calls` and `end_calls`, answering the same, in a fraction of the
 * time. Migration 3's versions called the SQL helpers above (`rate_used` per window, twice, and
 * `rate_budget_state` per budget); a SQL-language function that is not inlined is planned again on
 * every call, so one reservation cost 8–10 ms of database time against a 0.1 ms round trip, all of
 * it under the budget's row lock: ten concurrent reservations of one tenant took 45–100 ms to
 * answer, the last call of a burst leaving that much after its slot was free. Two causes, measured
 * apart (one connection, Xero's windows, PostgreSQL 15): planning, 8–10 ms → 4–6 ms once every query
 * is inline (a plpgsql statement's plan is cached per connection); and the commit's WAL flush, which
 * the row lock outlasts, 4–6 ms → 0.6–0.9 ms with `synchronous_commit = off` for these two
 * transactions only (an end: 4–7 ms → 0.3–0.4 ms).
 *
 * What an unflushed commit risks: nothing while the database runs (the commit is visible to every
 * instance at once, and the WAL writer flushes it within a few hundred ms); if the database server
 * itself crashes, the reservations and ends of its last few hundred ms are lost, so calls made then
 * stop counting and a window can be overspent once, which the provider's 429 and the shared pause
 * then handle. Pauses (`pause`) stay synchronous. These versions also read each window's count once,
 * and build the budgets they return from what they counted.
 */
export const rateBudgetLeanFunctionsSql = (s: string): string => `
create or replace function ${s}.reserve_calls(
  p_provider text, p_tenant text, p_now bigint, p_count integer, p_hold bigint, p_concurrency integer,
  p_tenant_windows jsonb, p_app_windows jsonb, p_recheck bigint
) returns jsonb language plpgsql as $fn$
declare
  v_has_app boolean := jsonb_array_length(p_app_windows) > 0;
  v_retry bigint := p_now;
  v_w record;
  v_free bigint;
  v_in_flight integer;
  v_app_in_flight integer := 0;
  v_granted boolean;
  v_paused bigint := 0;
  v_reason jsonb;
  v_app_paused bigint := 0;
  v_app_reason jsonb;
  -- Each budget's windows as returned: counted before the grant, and with it.
  v_before jsonb := '{"t": [], "a": []}';
  v_after jsonb := '{"t": [], "a": []}';
begin
  -- Answered without waiting for the WAL flush (see the note above migration 6).
  perform set_config('synchronous_commit', 'off', true);
  -- Lock the budgets, app first, creating them on first use; their pauses come back with the lock.
  if v_has_app then
    insert into ${s}.rate_budgets as b (provider, tenant_id, touched_at) values (p_provider, '', p_now)
    on conflict (provider, tenant_id) do update set touched_at = greatest(b.touched_at, excluded.touched_at)
    returning b.paused_until, b.pause_reason into v_app_paused, v_app_reason;
  end if;
  insert into ${s}.rate_budgets as b (provider, tenant_id, touched_at) values (p_provider, p_tenant, p_now)
  on conflict (provider, tenant_id) do update set touched_at = greatest(b.touched_at, excluded.touched_at)
  returning b.paused_until, b.pause_reason into v_paused, v_reason;

  -- Rows that count in no window any more: this budget's, then a few of anyone's.
  delete from ${s}.rate_calls where provider = p_provider and tenant_id in (p_tenant, '') and expires_at <= p_now;
  delete from ${s}.rate_calls where ctid = any(array(
    select ctid from ${s}.rate_calls where expires_at <= p_now limit 64 for update skip locked));
  delete from ${s}.rate_budgets where ctid = any(array(
    select b.ctid from ${s}.rate_budgets b
    where b.paused_until <= p_now and b.touched_at <= p_now - 60000
      and not exists (select 1 from ${s}.rate_calls c where c.provider = b.provider and c.tenant_id = b.tenant_id)
    limit 16 for update skip locked));

  -- A pause of the tenant or of the app (shared by every instance).
  v_retry := greatest(v_retry, coalesce(v_paused, 0), coalesce(v_app_paused, 0));

  -- Every window: the calls it counts (ended inside it, and in flight), and when it has room for p_count more.
  for v_w in
    select w.scope, w.tenant, w.name, w."limit", w.interval_ms,
           (select coalesce(sum(c.calls), 0)::integer from ${s}.rate_calls c
            where c.provider = p_provider and c.tenant_id = w.tenant and c.window_name in (w.name, '') and c.at > p_now - w.interval_ms) as used
    from (
      select 't' as scope, p_tenant as tenant, t.ord, t.value->>'name' as name, (t.value->>'limit')::integer as "limit", (t.value->>'intervalMs')::bigint as interval_ms
      from jsonb_array_elements(p_tenant_windows) with ordinality as t(value, ord)
      union all
      select 'a', '', a.ord, a.value->>'name', (a.value->>'limit')::integer, (a.value->>'intervalMs')::bigint
      from jsonb_array_elements(p_app_windows) with ordinality as a(value, ord)
    ) w
    order by w.scope desc, w.ord
  loop
    v_before := jsonb_insert(v_before, array[v_w.scope, '-1'],
      jsonb_build_object('name', v_w.name, 'limit', v_w."limit", 'intervalMs', v_w.interval_ms, 'used', v_w.used), true);
    v_after := jsonb_insert(v_after, array[v_w.scope, '-1'],
      jsonb_build_object('name', v_w.name, 'limit', v_w."limit", 'intervalMs', v_w.interval_ms, 'used', v_w.used + p_count), true);
    if v_w.used + p_count > v_w."limit" then
      -- The ended calls leave oldest first; the one whose leaving frees enough room says when.
      select c.at + v_w.interval_ms into v_free from (
        select r.at, sum(r.calls) over (order by r.at) as freed from ${s}.rate_calls r
        where r.provider = p_provider and r.tenant_id = v_w.tenant and r.window_name = v_w.name and r.at > p_now - v_w.interval_ms
      ) c where c.freed >= v_w.used + p_count - v_w."limit" order by c.at limit 1;
      -- Not enough ended calls: the rest are in flight and leave later; look again soon.
      v_retry := greatest(v_retry, coalesce(v_free, p_now + least(v_w.interval_ms, p_recheck)));
    end if;
  end loop;

  -- Calls in flight for the tenant (and the app), from every instance.
  select coalesce(sum(c.calls), 0)::integer into v_in_flight from ${s}.rate_calls c
  where c.provider = p_provider and c.tenant_id = p_tenant and c.window_name = '' and c.at > p_now;
  if v_in_flight + p_count > greatest(1, p_concurrency) then
    v_retry := greatest(v_retry, p_now + p_recheck);
  end if;
  if v_has_app then
    select coalesce(sum(c.calls), 0)::integer into v_app_in_flight from ${s}.rate_calls c
    where c.provider = p_provider and c.tenant_id = '' and c.window_name = '' and c.at > p_now;
  end if;

  v_granted := v_retry <= p_now;
  if v_granted then
    insert into ${s}.rate_calls as c (provider, tenant_id, window_name, at, calls, expires_at)
    select p_provider, scope.tenant, '', p_now + p_hold, p_count,
           p_now + p_hold + coalesce((select max((w.value->>'intervalMs')::bigint) from jsonb_array_elements(scope.windows) w), 0)
    from (select p_tenant as tenant, p_tenant_windows as windows
          union all select '', p_app_windows where v_has_app) scope
    on conflict (provider, tenant_id, window_name, at) do update
      set calls = c.calls + excluded.calls, expires_at = greatest(c.expires_at, excluded.expires_at);
    v_before := v_after;
    v_in_flight := v_in_flight + p_count;
    v_app_in_flight := v_app_in_flight + p_count;
  end if;

  return jsonb_build_object(
    'granted', v_granted,
    'retryAt', v_retry,
    'token', (p_now + p_hold)::text,
    'budgets', jsonb_build_array(jsonb_build_object(
                 'provider', p_provider, 'tenantId', nullif(p_tenant, ''),
                 'pausedUntil', case when v_paused > p_now then v_paused end,
                 'pauseReason', case when v_paused > p_now then v_reason end,
                 'inFlight', v_in_flight, 'windows', v_before->'t'))
               || case when v_has_app then jsonb_build_array(jsonb_build_object(
                 'provider', p_provider, 'tenantId', null,
                 'pausedUntil', case when v_app_paused > p_now then v_app_paused end,
                 'pauseReason', case when v_app_paused > p_now then v_app_reason end,
                 'inFlight', v_app_in_flight, 'windows', v_before->'a')) else '[]'::jsonb end);
end
$fn$;

create or replace function ${s}.end_calls(
  p_provider text, p_tenant text, p_held bigint, p_count integer, p_now bigint,
  p_tenant_windows jsonb, p_app_windows jsonb, p_observed jsonb
) returns void language plpgsql as $fn$
declare
  v_has_app boolean := jsonb_array_length(p_app_windows) > 0;
  v_o record;
  v_missing integer;
begin
  perform set_config('synchronous_commit', 'off', true);
  -- No longer in flight...
  delete from ${s}.rate_calls
  where provider = p_provider and tenant_id in (p_tenant, case when v_has_app then '' end)
    and window_name = '' and at = p_held and calls <= p_count;
  update ${s}.rate_calls set calls = calls - p_count
  where provider = p_provider and tenant_id in (p_tenant, case when v_has_app then '' end)
    and window_name = '' and at = p_held;

  -- ...but counted in every window, dated by the end (per minute, by the minute's end, in a long window).
  insert into ${s}.rate_calls as c (provider, tenant_id, window_name, at, calls, expires_at)
  select p_provider, w.tenant, w.name, w.at, p_count, w.at + w.interval_ms from (
    select x.tenant, x.name, x.interval_ms,
           case when x.interval_ms > ${EXACT_UP_TO_MS} then ((p_now + 59999) / 60000) * 60000 else p_now end as at
    from (select p_tenant as tenant, t.value->>'name' as name, (t.value->>'intervalMs')::bigint as interval_ms from jsonb_array_elements(p_tenant_windows) t
          union all
          select '', a.value->>'name', (a.value->>'intervalMs')::bigint from jsonb_array_elements(p_app_windows) a) x
  ) w
  on conflict (provider, tenant_id, window_name, at) do update
    set calls = c.calls + excluded.calls, expires_at = greatest(c.expires_at, excluded.expires_at);

  -- The provider says fewer calls are left than we count: the rest were spent elsewhere, now.
  for v_o in
    select w.name, w."limit", w.interval_ms, w.tenant, greatest(0, (o.value->>'remaining')::integer) as remaining,
           case when w.interval_ms > ${EXACT_UP_TO_MS} then ((p_now + 59999) / 60000) * 60000 else p_now end as at
    from jsonb_array_elements(p_observed) o
    join lateral (
      select x.value->>'name' as name, (x.value->>'limit')::integer as "limit", (x.value->>'intervalMs')::bigint as interval_ms,
             case when o.value->>'scope' = 'app' then '' else p_tenant end as tenant
      from jsonb_array_elements(case when o.value->>'scope' = 'app' then p_app_windows else p_tenant_windows end) x
    ) w on w.name = o.value->>'window'
  loop
    select v_o."limit" - v_o.remaining - coalesce(sum(c.calls), 0)::integer into v_missing from ${s}.rate_calls c
    where c.provider = p_provider and c.tenant_id = v_o.tenant and c.window_name in (v_o.name, '') and c.at > p_now - v_o.interval_ms;
    if v_missing > 0 then
      insert into ${s}.rate_calls as c (provider, tenant_id, window_name, at, calls, expires_at)
      values (p_provider, v_o.tenant, v_o.name, v_o.at, v_missing, v_o.at + v_o.interval_ms)
      on conflict (provider, tenant_id, window_name, at) do update
        set calls = c.calls + excluded.calls, expires_at = greatest(c.expires_at, excluded.expires_at);
    end if;
  end loop;
end
$fn$;
`;
