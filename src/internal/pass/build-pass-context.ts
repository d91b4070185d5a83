// Pass context construction: what a processing pass needs from the processor's options and collaborators.
import type { Clock } from "../../clock.ts";
import type { WebhookStore } from "../../contracts/webhook-store.ts";
import type { Logger } from "../../events.ts";
import type { ResolvedOptions } from "../../options.ts";
import type { Emit } from "../emit.ts";
import type { CallLimiter } from "../call-limiter.ts";
import type { Telemetry } from "../telemetry.ts";
import type { PassContext } from "./pass-context.ts";

export interface PassContextSources {
  options: ResolvedOptions;
  store: WebhookStore;
  clock: Clock;
  limiter: CallLimiter;
  logger: Logger;
  providerFor: PassContext["providerFor"];
  handlerFor: PassContext["handlerFor"];
  retryDelay: PassContext["retryDelay"];
  signal: AbortSignal;
  emit: Emit;
  telemetry: Telemetry | undefined;
}

export function buildPassContext(s: PassContextSources): PassContext {
  return {
    store: s.store,
    clock: s.clock,
    limiter: s.limiter,
    providerFor: s.providerFor,
    handlerFor: s.handlerFor,
    retryDelay: s.retryDelay,
    fetchTimeoutMs: s.options.fetchTimeoutMs,
    handlerTimeoutMs: s.options.handlerTimeoutMs,
    handlerConcurrency: s.options.handlerConcurrency,
    maxRateLimitWaitMs: s.options.maxRateLimitWaitMs,
    leaseMs: s.options.leaseMs,
    transactionalHandler: s.options.transactionalHandler,
    signal: s.signal,
    emit: s.emit,
    logger: s.logger,
    telemetry: s.telemetry,
  };
}
