/**
 * @module webhook-inbox/adapter-kit
 * Building blocks for authors of their own front doors and adapters (a framework route, an option
 * parser): zod option validation that throws `WebhookConfigError`, the receiver and logger option
 * schemas, the capped body reader that answers 413 without buffering past the limit, and the
 * queue-independent half of a job-queue `Scheduler` (`QueuedPasses`).
 */
export { validateOptions, type ValidateOptionsFormat } from "../validate-options.ts";
export { isWebhookReceiver } from "../webhook-receiver.ts";
export { loggerSchema, webhookReceiverSchema } from "../option-schemas.ts";
export { nodeBodySource, readCappedBody, webBodySource, type BodySink, type BodySource, type CappedBodyResult } from "../capped-body.ts";
export { webhookInboxOptionsSchema, parseOptions } from "../options.ts";
export { QueuedPasses, type PassJob, type QueuedPassesOptions } from "../queued-passes.ts";
