// What a processing pass needs from the processor that runs it.
import type { Clock } from "../../clock.ts";
import type { ProviderAdapter } from "../../contracts/provider-adapter.ts";
import type { WebhookStore } from "../../contracts/webhook-store.ts";
import type { Logger } from "../../events.ts";
import type { EventHandler } from "../../types.ts";
import type { Emit } from "../emit.ts";
import type { CallLimiter } from "../call-limiter.ts";
import type { Telemetry } from "../telemetry.ts";
import type { TransitionPolicy } from "./transitions.ts";

export interface PassContext extends TransitionPolicy {
  readonly store: WebhookStore;
  readonly clock: Clock;
  readonly limiter: CallLimiter;
  readonly providerFor: (integration: string) => ProviderAdapter | undefined;
  readonly handlerFor: (integration: string, entityType: string) => EventHandler | undefined;
  readonly fetchTimeoutMs: number;
  readonly handlerTimeoutMs: number;
  readonly handlerConcurrency: number;
  /** The claims' lease: a pass must not start handlers it may not finish under it. */
  readonly leaseMs: number;
  readonly transactionalHandler: boolean;
  /** Aborted by stop(). */
  readonly signal: AbortSignal;
  readonly emit: Emit;
  readonly logger: Logger;
  /** The pass's instrumentation scope, when the inbox is instrumented. */
  readonly telemetry: Telemetry | undefined;
}
