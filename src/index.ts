/**
 * @module webhook-inbox
 * Receive, log and process accounting webhooks durably, in batches, within the providers' rate limits.
 */
export * from "./types.ts";
export * from "./errors.ts";
export type * from "./contracts/webhook-store.ts";
export type * from "./contracts/provider-adapter.ts";
export type * from "./contracts/scheduler.ts";
export type * from "./contracts/instrumentation.ts";
export type * from "./contracts/reconciliation-store.ts";
export type * from "./contracts/rate-budget.ts";
export type * from "./contracts/shared-state.ts";
export { MemoryStore } from "./memory-store.ts";
export { singleFlightTokens } from "./tokens/single-flight-tokens.ts";
export type { RefreshedTokens, SingleFlightTokens, SingleFlightTokensOptions, TokenSet, TokenStatus } from "./tokens/single-flight-tokens.ts";
export { WebhookProcessor, createWebhookInbox } from "./processor.ts";
export type { ReceiveInput, UnreadBody, IntegrationInfo, InboxSettings, SettingChangeOptions } from "./processor.ts";
export type { RateLimitSnapshot, RateLimitPauseReason } from "./internal/rate-limiter.ts";
export type { WebhookInboxOptions, IntegrationOptions, RetryDelayOptions } from "./options.ts";
export type { InboxEventMap, InboxEventName, Logger } from "./events.ts";
export { consoleLogger } from "./events.ts";
export type { LogLevel } from "./log-level.ts";
export { systemClock } from "./clock.ts";
export type { Clock } from "./clock.ts";
export type { RunDueOptions, RunDueResult } from "./run-due.ts";
export { TimerScheduler } from "./timer-scheduler.ts";
export type { TimerSchedulerOptions } from "./timer-scheduler.ts";
export { createFetchHandler, type FetchHandlerOptions, type WebhookReceiver } from "./fetch-handler.ts";
export * from "./admin/index.ts";
