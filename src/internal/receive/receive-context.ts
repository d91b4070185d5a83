// What the receive pipeline needs from the processor that runs it.
import type { Clock } from "../../clock.ts";
import type { WebhookStore } from "../../contracts/webhook-store.ts";
import type { InboxEventMap, Logger } from "../../events.ts";
import type { ResolvedOptions } from "../../options.ts";
import type { EventHandler, Mode } from "../../types.ts";
import type { Emit } from "../emit.ts";
import type { InFlightBound } from "./in-flight-bound.ts";
import type { CallLimiter } from "../call-limiter.ts";
import type { Telemetry } from "../telemetry.ts";

/** One configured integration, as the options resolved it. */
export type Integration = ResolvedOptions["integrations"][string];

export interface ReceiveContext {
  readonly store: WebhookStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly limiter: CallLimiter;
  /** Receives in progress, bounded by `maxInFlightReceives`. */
  readonly inFlight: InFlightBound;
  readonly options: Pick<ResolvedOptions, "maxBodyBytes" | "maxAttempts" | "fetchTimeoutMs" | "handlerTimeoutMs" | "futureOccurredAtToleranceMs">;
  readonly integration: (id: string) => Integration | undefined;
  /** The mode in force for an integration (`direct` while the service is off). */
  readonly effectiveMode: (id: string) => Mode;
  readonly handlerFor: (integration: string, entityType: string) => EventHandler | undefined;
  /** Aborted by stop(); a new signal after each start(). */
  readonly stopSignal: () => AbortSignal;
  /** Migrates the store once; every store call waits for it. */
  readonly ensureReady: () => Promise<void>;
  /** Events were stored for `immediate` processing: wake the scheduler if it runs. */
  readonly wakeForImmediate: () => void;
  readonly emit: Emit;
  /** Whether anyone listens: lets the hot path skip building a payload nobody reads. */
  readonly listening: (name: keyof InboxEventMap) => boolean;
  readonly reportError: (error: unknown, message: string) => void;
  /** The instrumentation (and, within one receive, its scope), when the inbox is instrumented. */
  readonly telemetry: Telemetry | undefined;
}
