// Receive context construction: the receive pipeline's view of the processor's options and collaborators.
import type EventEmitter from "eventemitter3";
import type { Scheduler } from "../../contracts/scheduler.ts";
import type { InboxEventMap } from "../../events.ts";
import type { ResolvedOptions } from "../../options.ts";
import { rootTelemetry } from "../telemetry.ts";
import { InFlightBound } from "./in-flight-bound.ts";
import type { Integration, ReceiveContext } from "./receive-context.ts";

export interface ReceiveContextSources
  extends Pick<
    ReceiveContext,
    "store" | "clock" | "logger" | "limiter" | "effectiveMode" | "handlerFor" | "stopSignal" | "ensureReady" | "emit" | "reportError"
  > {
  options: ResolvedOptions;
  integrations: ReadonlyMap<string, Integration>;
  emitter: EventEmitter<InboxEventMap>;
  scheduler: Scheduler;
  /** Whether start() has run (and stop() has not). */
  started: () => boolean;
}

export function buildReceiveContext(s: ReceiveContextSources): ReceiveContext {
  const { options, integrations, emitter, scheduler, started, ...rest } = s;
  return {
    ...rest,
    options,
    inFlight: new InFlightBound(options.maxInFlightReceives),
    integration: (id) => integrations.get(id),
    wakeForImmediate: () => {
      if (started()) scheduler.wake(options.coalesceMs);
    },
    listening: (name) => emitter.listenerCount(name) > 0,
    telemetry: rootTelemetry(options.instrumentation),
  };
}
