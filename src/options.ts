// The inbox's options: their zod schema, defaults and validation.
import { z } from "zod";
import type { Clock } from "./clock.ts";
import type { Instrumentation } from "./contracts/instrumentation.ts";
import type { ProviderAdapter } from "./contracts/provider-adapter.ts";
import type { Scheduler } from "./contracts/scheduler.ts";
import type { WebhookStore } from "./contracts/webhook-store.ts";
import { MODES, type EventHandler } from "./types.ts";
import { LOG_LEVELS } from "./log-level.ts";
import { loggerSchema } from "./option-schemas.ts";
import { validateOptions } from "./validate-options.ts";
import { reconcileOptionsSchema } from "./internal/reconcile/options.ts";

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

const storeSchema = z.custom<WebhookStore>(
  (value) =>
    isObject(value) && ["insertDelivery", "claimDue", "finishAttempts", "getEvent", "listEvents"].every((method) => typeof value[method] === "function"),
  { error: "store must implement WebhookStore (MemoryStore, SqliteStore, PostgresStore, or your own; see README › Stores)" },
);

const providerSchema = z.custom<ProviderAdapter>(
  (value) =>
    isObject(value) &&
    typeof value.name === "string" &&
    ["verify", "parse", "fetchResources", "maxBatchSize"].every((method) => typeof value[method] === "function"),
  { error: "provider must be a ProviderAdapter, e.g. quickbooks({ ... }) or xero({ ... })" },
);

const handlerSchema = z.custom<EventHandler>((value) => typeof value === "function", { error: "handler must be a function (event, context) => Promise<void>" });

const schedulerSchema = z.custom<Scheduler>((value) => isObject(value) && ["start", "wake", "stop"].every((method) => typeof value[method] === "function"), {
  error: "scheduler must implement Scheduler (start, wake, stop)",
});

const clockSchema = z.custom<Clock>((value) => isObject(value) && typeof value.now === "function", { error: "clock must have now(): Date" });

const instrumentationSchema = z.custom<Instrumentation>(
  (value) =>
    isObject(value) &&
    (["receive", "pass", "providerCall", "handlerAttempt", "rateLimiterWait", "attach"] as const).every(
      (hook) => value[hook] === undefined || typeof value[hook] === "function",
    ),
  { error: "instrumentation must be an Instrumentation, e.g. openTelemetry() from webhook-inbox/opentelemetry (each hook, when present, a function)" },
);

const positiveMs = z.number().int().positive();
const attempts = z.number().int().min(1).max(100);

const backoffSchema = z.strictObject({
  /** First retry delay. @default 10_000 */
  baseMs: positiveMs.default(10_000),
  /** Growth per retry. @default 4 */
  factor: z.number().min(1).default(4),
  /** Cap. @default 3_600_000 (1 h) */
  maxMs: positiveMs.default(3_600_000),
  /** 0 = none, 1 = full. @default 0.5 */
  jitter: z.number().min(0).max(1).default(0.5),
});

const integrationSchema = z.strictObject({
  provider: providerSchema,
  /** @default "immediate" */
  mode: z.enum(MODES).default("immediate"),
  /**
   * Overrides the status of a stored delivery's acknowledgement. By default each provider answers as
   * it requires: Xero 200 with an empty body and no cookies ("Configuring your server" in Xero's
   * webhooks docs; anything else is retried for 24 h, then the subscription is disabled), QuickBooks
   * 200 (Intuit's webhooks best practices: "HTTP 200 within 3 seconds"), the test provider and
   * providers without an `acknowledge` 202 with a JSON body.
   * @default the provider's rule
   */
  acceptedStatus: z.union([z.literal(200), z.literal(202)]).optional(),
  /** `delayed` only: how long an event waits before it is due, so bursts gather into batches. @default 1_000 */
  delayMs: z.number().int().min(0).default(1_000),
  /** Overrides the inbox-wide `maxAttempts` for this integration. */
  maxAttempts: attempts.optional(),
  /**
   * Reconciliation (off by default): ask the provider what changed since each tenant's watermark and turn
   * every change into an ordinary event (README › Reconciliation). Needs a provider with `listChanges`
   * (quickbooks, xero) and a store with `reconciliation` (the three shipped stores).
   */
  reconcile: reconcileOptionsSchema.optional(),
});

const handlersSchema = z.record(z.string(), z.union([handlerSchema, z.record(z.string(), handlerSchema)]));

export const webhookInboxOptionsSchema = z
  .strictObject({
    store: storeSchema,
    /** Integration id → provider and mode. */
    integrations: z.record(z.string().min(1), integrationSchema).refine((value) => Object.keys(value).length > 0, {
      error: "integrations needs at least one entry",
    }),
    /** Catch-all handler. */
    handler: handlerSchema.optional(),
    /** Handlers per integration, optionally per entity type (`"*"` = any type of that integration). */
    handlers: handlersSchema.optional(),
    /**
     * When false, every integration runs in `direct` mode. With a store that has `sharedState` (all
     * three shipped stores), this and each integration's `mode` are the defaults of a fresh store: a
     * change made at run time (`setMode`, `setServiceEnabled`, the dashboard) is stored and wins. @default true
     */
    serviceEnabled: z.boolean().default(true),
    /**
     * How often each instance re-reads the shared settings from the store: the longest a change made by
     * another instance takes to apply here when no change notice arrives (PostgreSQL sends one). @default 5_000
     */
    settingsRefreshMs: positiveMs.default(5_000),
    /** Automatic attempts in all (first try + retries). @default 3 */
    maxAttempts: attempts.default(3),
    /** Delay before automatic retry `n` (n = attempts spent): a function returning ms, or exponential backoff options. */
    retryDelay: z.union([z.custom<(attempt: number) => number>((value) => typeof value === "function"), backoffSchema]).optional(),
    clock: clockSchema.optional(),
    scheduler: schedulerSchema.optional(),
    /** Where the inbox writes its diagnostics (failed attempts, exhausted events, refused requests, ...). @default the console */
    logger: loggerSchema.optional(),
    /**
     * The least severe message written to `logger`: `debug` (also every processed and stale event), `info`
     * (also rate-limit pauses and retention), `warn` (failed attempts that will be retried, refused requests),
     * `error` (exhausted events, direct-mode failures, infrastructure trouble) or `silent`.
     * @default "warn" on the console; every level when you pass your own `logger`
     */
    logLevel: z.enum(LOG_LEVELS).optional(),
    /**
     * Tracing and metrics hooks around receives, passes, provider calls and handler attempts:
     * `openTelemetry()` from `webhook-inbox/opentelemetry`, or your own `Instrumentation`. README › Observability.
     * @default none (nothing is wrapped)
     */
    instrumentation: instrumentationSchema.optional(),
    /**
     * Largest body accepted; larger is 413. Intuit gives "approximately 1 MB" as a delivery's maximum
     * and a 4xx makes it hold back later deliveries, so the default leaves ample room. @default 4_194_304 (4 MiB)
     */
    maxBodyBytes: z.number().int().positive().default(4_194_304),
    /**
     * How far after its receive time a change's `occurredAt` may lie. Beyond it (a provider's or a
     * sender's clock ahead) the change is dated at its receive time and flagged (`payload.occurredAtClamped`,
     * the delivery's reason), so it cannot make every later change of its entity look stale. @default 300_000 (5 min)
     */
    futureOccurredAtToleranceMs: z.number().int().min(0).default(300_000),
    /**
     * Receives in progress at once (each holds its request body until it is stored and answered);
     * beyond it a request is answered 503 + `Retry-After` instead of queueing, so a burst cannot grow
     * memory without limit. @default 256
     */
    maxInFlightReceives: z.number().int().min(1).default(256),
    /** How long a claim is held before another worker may take the event over. At least twice `handlerTimeoutMs` (a smaller value is rejected): a pass starts no handler past half its lease. @default 120_000 */
    leaseMs: positiveMs.default(120_000),
    /** Events claimed per pass. @default 500 */
    claimBatchSize: z.number().int().min(1).max(10_000).default(500),
    /** Per-attempt limit on a handler; a timed-out attempt fails. @default 30_000 */
    handlerTimeoutMs: positiveMs.default(30_000),
    /** Timeout of one provider fetch. @default 30_000 */
    fetchTimeoutMs: positiveMs.default(30_000),
    /** Handlers run at once per pass. @default 8 */
    handlerConcurrency: z.number().int().min(1).default(8),
    /** How long an event may keep waiting out rate limits before a wait counts as a failed attempt. @default 172_800_000 (48 h) */
    maxRateLimitWaitMs: positiveMs.default(172_800_000),
    /** `immediate`: events arriving within this window are processed in one pass (batched fetches). @default 5 */
    coalesceMs: z.number().int().min(0).default(5),
    /** Scheduler poll interval: the longest a due event waits when nothing wakes the scheduler. @default 1_000 */
    pollIntervalMs: positiveMs.default(1_000),
    /** Run each handler inside the store's transaction; the store must have `transaction()` (SqliteStore, PostgresStore), else the options are rejected. @default false */
    transactionalHandler: z.boolean().default(false),
    /** Prune `succeeded` and `stale` events (and deliveries left empty) older than `maxAgeMs`, checked every `intervalMs` by the scheduler. */
    retention: z
      .strictObject({
        maxAgeMs: positiveMs,
        /** @default 3_600_000 (1 h) */
        intervalMs: positiveMs.default(3_600_000),
      })
      .optional(),
    /** Name of this worker in leases and logs. @default hostname:pid:random */
    workerId: z.string().min(1).optional(),
  })
  .superRefine((options, context) => {
    if (options.leaseMs < 2 * options.handlerTimeoutMs) {
      context.addIssue({
        code: "custom",
        path: ["leaseMs"],
        message: `leaseMs (${options.leaseMs}) must be at least twice handlerTimeoutMs (${options.handlerTimeoutMs}), i.e. >= ${2 * options.handlerTimeoutMs}: a pass starts no handler past half its lease, so a shorter lease can run out under a running handler`,
      });
    }
    if (options.transactionalHandler && typeof options.store.transaction !== "function") {
      context.addIssue({
        code: "custom",
        path: ["transactionalHandler"],
        message:
          "transactionalHandler: true needs a store with a transaction() method (SqliteStore, PostgresStore); this store has none: use such a store or set transactionalHandler: false",
      });
    }
    for (const id of Object.keys(options.integrations)) {
      const own = options.handlers?.[id];
      if (!options.handler && !own) {
        context.addIssue({ code: "custom", path: ["integrations", id], message: `integration "${id}" has no handler: give \`handler\` or \`handlers.${id}\`` });
      }
    }
    for (const [id, integration] of Object.entries(options.integrations)) {
      if (!integration.reconcile) continue;
      if (typeof integration.provider.listChanges !== "function") {
        context.addIssue({
          code: "custom",
          path: ["integrations", id, "reconcile"],
          message: `integration "${id}": its provider "${integration.provider.name}" has no listChanges(), so it cannot be reconciled`,
        });
      }
      if (!options.store.reconciliation) {
        context.addIssue({
          code: "custom",
          path: ["integrations", id, "reconcile"],
          message: `integration "${id}": reconcile needs a store with \`reconciliation\` (MemoryStore, SqliteStore, PostgresStore)`,
        });
      }
    }
    for (const id of Object.keys(options.handlers ?? {})) {
      if (!(id in options.integrations)) {
        context.addIssue({ code: "custom", path: ["handlers", id], message: `handlers names "${id}", which is not in integrations` });
      }
    }
  });

export type WebhookInboxOptions = z.input<typeof webhookInboxOptionsSchema>;
export type ResolvedOptions = z.output<typeof webhookInboxOptionsSchema>;
export type IntegrationOptions = z.input<typeof integrationSchema>;
export type RetryDelayOptions = z.input<typeof backoffSchema>;

/** Validates options once; a bad option throws `WebhookConfigError` naming each bad path. */
export function parseOptions(input: unknown): ResolvedOptions {
  return validateOptions(webhookInboxOptionsSchema, input, "webhook-inbox options", { format: "pretty" });
}

/** The default backoff: 10 s, 40 s, 160 s, ... capped at 1 h, half jitter. */
export const DEFAULT_RETRY_DELAY = backoffSchema.parse({});
