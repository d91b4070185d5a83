/**
 * @module webhook-inbox/pg-boss
 * PgBossScheduler: the inbox's passes as pg-boss jobs (deduplicated by job id, delayed to the next due
 * time) in the host's PostgreSQL, run by the app's own instances. `pg-boss` is an optional peer
 * dependency; the host passes its started instance.
 */
export { PgBossScheduler } from "./pg-boss-scheduler.ts";
export { type PgBossSchedulerOptions, DEFAULT_QUEUE_NAME, DEFAULT_POLL_INTERVAL_MS, DEFAULT_SLOT_MS } from "./options.ts";
