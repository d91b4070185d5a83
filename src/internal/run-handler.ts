// Running one host handler: ended by its timeout or by stop(), and settled before a transaction ends.
import { WebhookInboxError } from "../errors.ts";
import type { EventHandler, InboxEvent } from "../types.ts";
import { type Telemetry, tracedHandlerAttempt } from "./telemetry.ts";

export interface RunHandlerLimits {
  /** Aborted by stop(). */
  readonly signal: AbortSignal;
  readonly handlerTimeoutMs: number;
  /** Reports the attempt, when the inbox is instrumented. */
  readonly telemetry?: Telemetry | undefined;
}

/**
 * Runs one handler, ended by its timeout or by stop() even when it ignores its signal. With a
 * transaction, a cut-short handler is still waited for (up to one more timeout) before the
 * transaction ends, so its late writes cannot land after the rollback or in another transaction.
 */
export function runHandler(limits: RunHandlerLimits, handler: EventHandler, event: InboxEvent, transaction: unknown): Promise<void> {
  return tracedHandlerAttempt(limits.telemetry, event, () => runBounded(limits, handler, event, transaction));
}

async function runBounded(limits: RunHandlerLimits, handler: EventHandler, event: InboxEvent, transaction: unknown): Promise<void> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let stopListener = () => {};
  const cutShort = new Promise<never>((_, reject) => {
    const end = (error: unknown) => {
      controller.abort(error);
      reject(error);
    };
    stopListener = () => end(limits.signal.reason);
    if (limits.signal.aborted) stopListener();
    else limits.signal.addEventListener("abort", stopListener, { once: true });
    timer = setTimeout(() => end(new WebhookInboxError("HANDLER_TIMEOUT", `handler timed out after ${limits.handlerTimeoutMs} ms`)), limits.handlerTimeoutMs);
  });
  const context = transaction === undefined ? { signal: controller.signal } : { signal: controller.signal, transaction };
  const running = Promise.resolve().then(() => handler(event, context));
  try {
    await Promise.race([running, cutShort]);
  } catch (error) {
    if (transaction !== undefined) await settleWithin(running, limits.handlerTimeoutMs);
    throw error;
  } finally {
    clearTimeout(timer);
    limits.signal.removeEventListener("abort", stopListener);
  }
}

/** Waits for `work` to settle, at most `ms`; its outcome is ignored (the attempt already failed). */
async function settleWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([work.then(noop, noop), limit]);
  clearTimeout(timer);
}

const noop = () => {};
