/**
 * The SQL SqliteStore runs. Dates are integer milliseconds passed by the caller; JSON is TEXT.
 * Statements are prepared once per text by the connection, so the texts here are constants or are
 * built from a small set of variants.
 */

/** Event columns in list/claim results (not the lease columns, which are the store's business). */
export const EVENT_COLUMNS = `id, delivery_id, integration, provider, tenant_id, entity_type, entity_id, operation, deleted,
  occurred_at, received_at, mode, status, max_attempts, next_attempt_at, next_trigger, payload, attempts_made,
  attempts_started, attempts_finished, last_error, superseded_by, updated_at`;
/** Delivery columns of lists (everything but the raw body). */
export const SUMMARY_COLUMNS = `id, integration, provider, tenant_ids, received_at, headers, dedupe_key, status, reason, response,
  duplicate_of, event_count`;

/** An event of another entity is not under a live lease (one claimer per entity). */
const NOT_BUSY = `NOT EXISTS (
    SELECT 1 FROM events busy
    WHERE busy.integration = events.integration AND busy.tenant_id = events.tenant_id
      AND busy.entity_type = events.entity_type AND busy.entity_id = events.entity_id
      AND busy.status = 'processing' AND busy.lease_expires_at > @now AND busy.id <> events.id)`;

/**
 * Due events, earliest first, at most @limit: one index-ordered walk per due state (events_claim_order),
 * merged, so a pass reads about @limit rows per state instead of sorting the whole backlog. Due work:
 * queued/retrying whose time has come, and processing events whose lease expired.
 */
export function dueSelect(idFilter: string): string {
  const state = (condition: string) =>
    `SELECT * FROM (SELECT ${EVENT_COLUMNS} FROM events WHERE ${condition} AND ${NOT_BUSY} ${idFilter} ORDER BY next_attempt_at, id LIMIT @limit)`;
  return (
    [
      state("status = 'queued' AND next_attempt_at <= @now"),
      state("status = 'retrying' AND next_attempt_at <= @now"),
      state("status = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at <= @now)"),
    ].join(" UNION ALL ") + " ORDER BY next_attempt_at, id LIMIT @limit"
  );
}
/** Claimable now: queued/retrying whose time has come, processing whose lease expired. */
const CLAIMABLE = `((status IN ('queued', 'retrying') AND next_attempt_at <= @now)
    OR (status = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at <= @now)))`;
const IN_GROUP = "integration = @integration AND tenant_id = @tenant_id AND entity_type = @entity_type";

/** Unfinished events: the partial index of group claims (events_group_due, migration 6) holds only these. */
const OPEN = "status IN ('queued', 'retrying', 'processing')";
/** A due unfinished event not under a live lease (with OPEN: CLAIMABLE, read along events_group_due). */
const DUE_FREE = "next_attempt_at <= @now AND (status <> 'processing' OR lease_expires_at IS NULL OR lease_expires_at <= @now)";

/**
 * Group claim, the groups' heads: a loose index scan over events_group_due, one group per step: the first
 * group with unfinished events, then the one after (@integration, @tenant_id, @entity_type), probed as
 * the next type of the tenant, else the next tenant, else the next integration (a row-value comparison
 * would walk every row of the integration: SQLite seeks on its first column only).
 */
const OPEN_GROUP = "SELECT integration, tenant_id, entity_type FROM events INDEXED BY events_group_due";
export const FIRST_OPEN_GROUP = `${OPEN_GROUP} WHERE ${OPEN} ORDER BY integration, tenant_id, entity_type LIMIT 1`;
export const NEXT_OPEN_GROUP = [
  `${OPEN_GROUP} WHERE ${OPEN} AND integration = @integration AND tenant_id = @tenant_id AND entity_type > @entity_type ORDER BY entity_type LIMIT 1`,
  `${OPEN_GROUP} WHERE ${OPEN} AND integration = @integration AND tenant_id > @tenant_id ORDER BY tenant_id, entity_type LIMIT 1`,
  `${OPEN_GROUP} WHERE ${OPEN} AND integration > @integration ORDER BY integration, tenant_id, entity_type LIMIT 1`,
] as const;
/** Group claim: the group's earliest due time among its claimable events (steps over live leases only). */
export const GROUP_DUE_AT = `SELECT next_attempt_at AS due_at FROM events INDEXED BY events_group_due
  WHERE ${IN_GROUP} AND ${OPEN} AND ${DUE_FREE} ORDER BY next_attempt_at, id LIMIT 1`;
/**
 * Group claim: the group's claimable events of entities no live lease holds, in claim order (due time,
 * id), @n at a time after (@after_due, @after_id) (FIRST: from the start). The claim reads only as far
 * as its plan takes it; each entity first seen here comes in that order.
 */
export const groupDueEvents = (first: boolean) => `SELECT entity_id, next_attempt_at, id FROM events INDEXED BY events_group_due
  WHERE ${IN_GROUP} AND ${OPEN} AND ${DUE_FREE}
    ${first ? "" : "AND (next_attempt_at, id) > (@after_due, @after_id)"}
    AND ${NOT_BUSY}
  ORDER BY next_attempt_at, id LIMIT @n`;
/**
 * Group claim: the earliest-due claimable event with an interrupted attempt, of an entity no live lease
 * holds (claimed alone). events_started holds only unfinished events with a started, unfinished attempt.
 */
export const DUE_SUSPECT = `SELECT integration, tenant_id, entity_type, entity_id FROM events INDEXED BY events_started
  WHERE attempts_started > attempts_finished AND ${OPEN} AND ${CLAIMABLE} AND ${NOT_BUSY}
  ORDER BY next_attempt_at, id LIMIT 1`;
/** Group claim: every claimable event of the chosen entities (@ids: a JSON array), earliest first. */
export const DUE_ENTITY_EVENTS = `SELECT ${EVENT_COLUMNS} FROM events
  WHERE ${IN_GROUP} AND entity_id IN (SELECT value FROM json_each(@ids)) AND ${CLAIMABLE}
  ORDER BY next_attempt_at, id`;

/** The id filter of a claim restricted to given ids (@ids: a JSON array). */
export const CLAIM_ID_FILTER = "AND id IN (SELECT value FROM json_each(@ids))";

/** updateDelivery: the SET list is built by the caller from the fields it changes. */
export const updateDelivery = (sets: readonly string[], guard: string) => `UPDATE deliveries SET ${sets.join(", ")} WHERE id = @id ${guard}`;
export const deliveryExists = (guard: string) => `SELECT 1 FROM deliveries WHERE id = @id ${guard}`;
/** updateDelivery's `ifStatus`: the row is changed only while it has this status (one writer at a time in SQLite). */
export const IF_STATUS = "AND status = @if_status";
export const GET_DELIVERY = `SELECT ${SUMMARY_COLUMNS}, raw_body FROM deliveries WHERE id = ?`;
export const listDeliveries = (where: string, cursor: string) => `SELECT ${SUMMARY_COLUMNS} FROM deliveries WHERE ${where} ${cursor} ORDER BY id DESC LIMIT ?`;

export const CLAIM_LEASE = `UPDATE events SET status = 'processing', updated_at = @now,
    lease_token = @token, lease_expires_at = @expires, leased_by = @worker
  WHERE id = @id RETURNING ${EVENT_COLUMNS}`;
export const CLAIM_POISON = `UPDATE events SET status = 'failed', last_error = @error, updated_at = @now,
    lease_token = NULL, lease_expires_at = NULL, leased_by = NULL
  WHERE id = @id RETURNING ${EVENT_COLUMNS}`;

/** startAttempts: the handler starts, so the attempt counts as started (while the lease is this one). */
export const START_ATTEMPT = "UPDATE events SET attempts_started = attempts_started + 1 WHERE id = @id AND lease_token = @lease_token";
/** A finish without a counted start (no handler ran) counts as an attempt started and finished. */
export const FINISH_RELEASE = `UPDATE events SET status = @status, attempts_made = @attempts_made, attempts_finished = attempts_finished + 1,
    attempts_started = MAX(attempts_started, attempts_finished + 1),
    next_attempt_at = COALESCE(@next_attempt_at, next_attempt_at), next_trigger = @next_trigger, last_error = @last_error,
    superseded_by = CASE WHEN @set_superseded = 1 THEN @superseded_by ELSE superseded_by END,
    updated_at = @now, lease_token = NULL, lease_expires_at = NULL, leased_by = NULL
  WHERE id = @id AND lease_token = @lease_token`;
export const FINISH_ATTEMPT = `INSERT INTO attempts (event_id, number, trigger, started_at, ended_at, outcome, error)
  VALUES (@id, (SELECT COALESCE(MAX(number), 0) + 1 FROM attempts WHERE event_id = @id), @trigger, @started_at,
    @ended_at, @outcome, @error)`;
export const FINISH_RESOURCE = `INSERT INTO resources (event_id, data, downloaded_at) VALUES (@id, @data, @downloaded_at)
  ON CONFLICT (event_id) DO UPDATE SET data = excluded.data, downloaded_at = excluded.downloaded_at`;

/** `excluded` (the new watermark) is newer than the stored one by (occurred_at, event_id). */
const NEWER = `(excluded.occurred_at > watermarks.occurred_at
  OR (excluded.occurred_at = watermarks.occurred_at AND excluded.event_id > watermarks.event_id))`;
/**
 * Moves only forward by (occurred_at, event_id), as isNewerWatermark; the download time and the
 * download sequence keep the max (a NULL sequence, from before migration 4, is below any).
 */
export const FINISH_WATERMARK = `INSERT INTO watermarks (integration, tenant_id, entity_type, entity_id, occurred_at, event_id, downloaded_at, download_seq)
  VALUES (@integration, @tenant_id, @entity_type, @entity_id, @occurred_at, @event_id, @downloaded_at, @download_seq)
  ON CONFLICT (integration, tenant_id, entity_type, entity_id) DO UPDATE SET
    occurred_at = CASE WHEN ${NEWER} THEN excluded.occurred_at ELSE occurred_at END,
    event_id = CASE WHEN ${NEWER} THEN excluded.event_id ELSE event_id END,
    downloaded_at = MAX(downloaded_at, excluded.downloaded_at),
    download_seq = CASE WHEN download_seq IS NULL THEN excluded.download_seq
                        WHEN excluded.download_seq IS NULL THEN download_seq
                        ELSE MAX(download_seq, excluded.download_seq) END`;

/** The next download sequence: one counter row, incremented and read in one statement. */
export const NEXT_DOWNLOAD_SEQUENCE = "UPDATE counters SET value = value + 1 WHERE name = 'download_sequence' RETURNING value";

/** requeue: parameters now, now, now, then the ids (JSON) when filtered by id, then the filter's. */
export const requeue = (idFilter: string, where: string) => `UPDATE events SET status = 'queued', next_attempt_at = ?,
    next_trigger = 'manual', superseded_by = NULL, updated_at = ?,
    lease_token = NULL, lease_expires_at = NULL, leased_by = NULL, attempts_finished = attempts_started
  WHERE status <> 'succeeded' AND NOT (lease_token IS NOT NULL AND lease_expires_at > ?) ${idFilter} AND ${where}
  RETURNING id`;
export const REQUEUE_ID_FILTER = "AND id IN (SELECT value FROM json_each(?))";

export const GET_WATERMARK = "SELECT * FROM watermarks WHERE integration = ? AND tenant_id = ? AND entity_type = ? AND entity_id = ?";
export const GET_EVENT = `SELECT ${EVENT_COLUMNS} FROM events WHERE id = ?`;
export const GET_ATTEMPTS = "SELECT * FROM attempts WHERE event_id = ? ORDER BY number";
export const GET_RESOURCE = "SELECT data, downloaded_at FROM resources WHERE event_id = ?";
export const listEvents = (where: string, cursor: string) => `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where} ${cursor} ORDER BY id DESC LIMIT ?`;
export const countEvents = (where: string) => `SELECT integration, status, COUNT(*) AS count FROM events WHERE ${where} GROUP BY integration, status`;
/** Paging of lists: rows before the cursor (ids descending). */
export const CURSOR = "AND id < ?";

export const NEXT_DUE_AT = `SELECT MIN(due) AS due FROM (
    SELECT MIN(next_attempt_at) AS due FROM events WHERE status IN ('queued', 'retrying')
    UNION ALL
    SELECT MIN(COALESCE(lease_expires_at, next_attempt_at)) FROM events WHERE status = 'processing')`;

/** prune (@cutoff): finished events with their attempts and resources, then deliveries left without events. */
const OLD_EVENTS = "SELECT id FROM events WHERE status IN ('succeeded', 'stale') AND updated_at < @cutoff";
export const PRUNE = {
  attempts: `DELETE FROM attempts WHERE event_id IN (${OLD_EVENTS})`,
  resources: `DELETE FROM resources WHERE event_id IN (${OLD_EVENTS})`,
  events: `DELETE FROM events WHERE id IN (${OLD_EVENTS})`,
  // Deliveries left without events (emptied, refused, duplicates, direct); unparseable ones wait for an operator.
  deliveries: `DELETE FROM deliveries WHERE received_at < @cutoff AND status <> 'unparseable'
    AND NOT EXISTS (SELECT 1 FROM events WHERE events.delivery_id = deliveries.id)`,
} as const;

/** Transaction control of `transaction(fn)`, which spans several ticks (better-sqlite3's db.transaction cannot). */
export const TRANSACTION = { begin: "BEGIN IMMEDIATE", commit: "COMMIT", rollback: "ROLLBACK" } as const;
