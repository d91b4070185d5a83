/**
 * @module webhook-inbox
 * Receive, log and process accounting webhooks durably, in batches, within the providers' rate limits.
 */
export * from "./types.ts";
export * from "./errors.ts";
export type * from "./contracts/webhook-store.ts";
export type * from "./contracts/provider-adapter.ts";
export type * from "./contracts/scheduler.ts";
export { MemoryStore, entityKeyString, isNewerWatermark, poisonMessage } from "./memory-store.ts";
export { createId } from "./ids.ts";
export { asList, eventMatches, deliveryMatches, pageSize, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./filters.ts";
