/**
 * @module webhook-inbox/bullmq
 * BullMQScheduler: the inbox's passes as BullMQ jobs (deduplicated by job id, delayed to the next due
 * time) on the host's Redis, run by the app's own instances. `bullmq` is an optional peer dependency.
 */
export { BullMQScheduler } from "./bullmq-scheduler.ts";
export { type BullMQSchedulerOptions, DEFAULT_QUEUE_NAME, DEFAULT_POLL_INTERVAL_MS, DEFAULT_SLOT_MS } from "./options.ts";
