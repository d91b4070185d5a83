import type { WebhookInboxError, WebhookInboxErrorCode } from "./errors.ts";
import type { ReconcileRun } from "./contracts/reconciliation-store.ts";
import type { AttemptRecord, DeliverySummary, EventRecord } from "./types.ts";

/**
 * Lifecycle events, for metrics and logs. Each listener gets one payload object.
 * `event:failed` means one *attempt* failed; the status `failed` (automatic attempts exhausted)
 * is announced by `event:exhausted`. Listeners can never break processing: a throwing listener is
 * logged and ignored.
 */
export interface InboxEventMap {
  /** A delivery was stored (accepted, duplicate or unparseable) or processed in `direct` mode. */
  "delivery:received": (payload: { delivery: DeliverySummary }) => void;
  /** A request was refused (bad signature, too large, unknown integration, store down). */
  "delivery:rejected": (payload: { delivery: DeliverySummary; code: WebhookInboxErrorCode; reason: string }) => void;
  "event:processed": (payload: { event: EventRecord; attempt: AttemptRecord; durationMs: number }) => void;
  "event:failed": (payload: { event: EventRecord; attempt: AttemptRecord; error: string }) => void;
  "event:retry-scheduled": (payload: { event: EventRecord; nextAttemptAt: Date; attemptsRemaining: number }) => void;
  "event:exhausted": (payload: { event: EventRecord; error: string }) => void;
  "event:stale": (payload: { event: EventRecord; supersededBy: string; reason: string }) => void;
  "event:rate-limited": (payload: { event: EventRecord; tenantId: string; retryAfterMs: number; limit: string | undefined }) => void;
  /** A reconciliation run ended (succeeded, deferred by the budget share, or failed); `run.new` counts webhooks we missed. */
  "reconcile:finished": (payload: { run: ReconcileRun }) => void;
  /**
   * Infrastructure trouble (store, scheduler); processing goes on. `message` says what the inbox was
   * doing and what happens next (the line the logger gets when nobody listens, without the error's text).
   */
  error: (payload: { error: WebhookInboxError | Error; message: string }) => void;
}

export type InboxEventName = keyof InboxEventMap;

/** Where the inbox writes its own diagnostics. `debug`/`info` are silent by default. */
export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

export const consoleLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (message, context) => console.warn(`[webhook-inbox] ${message}`, context ?? ""),
  error: (message, context) => console.error(`[webhook-inbox] ${message}`, context ?? ""),
};

/** Wraps a host's logger so that a throwing logger can never break receiving or processing. */
export function guardLogger(logger: Logger): Logger {
  const guard =
    (method: keyof Logger) =>
    (message: string, context?: Record<string, unknown>): void => {
      try {
        logger[method](message, context);
      } catch {
        // Nowhere left to report it: a logger's own failure is dropped on purpose.
      }
    };
  return { debug: guard("debug"), info: guard("info"), warn: guard("warn"), error: guard("error") };
}
