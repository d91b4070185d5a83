// Calling the host's instrumentation around the inbox's work; without one, work runs unwrapped.
import type { Instrumentation, InstrumentationScope, ProviderCallStart, RateLimiterWait } from "../contracts/instrumentation.ts";
import type { InboxEvent } from "../types.ts";
import type { Emit } from "./emit.ts";

/** The instrumentation, and the operation (a receive or a pass) that nested work runs under. */
export interface Telemetry {
  readonly instrumentation: Instrumentation;
  readonly scope: InstrumentationScope | undefined;
}

/** The telemetry of the inbox's top level (no enclosing operation), or none. */
export function rootTelemetry(instrumentation: Instrumentation | undefined): Telemetry | undefined {
  return instrumentation ? { instrumentation, scope: undefined } : undefined;
}

/** An emit that also forwards each lifecycle event to the operation it is emitted in. */
export function scopedEmit(emit: Emit, scope: InstrumentationScope): Emit {
  return (name, payload) => {
    try {
      scope.lifecycle(name, payload);
    } catch {
      // An instrumentation's failure must not break processing; the event still reaches the listeners below.
    }
    emit(name, payload);
  };
}

/** Runs one provider call inside the instrumentation's `providerCall` hook, if any. */
export function tracedProviderCall<T>(telemetry: Telemetry | undefined, start: ProviderCallStart, work: () => Promise<T>): Promise<T> {
  const instrumentation = telemetry?.instrumentation;
  return instrumentation?.providerCall ? instrumentation.providerCall(start, telemetry?.scope, work) : work();
}

/** Runs one handler attempt inside the instrumentation's `handlerAttempt` hook, if any. */
export function tracedHandlerAttempt<T>(telemetry: Telemetry | undefined, event: InboxEvent, work: () => Promise<T>): Promise<T> {
  const instrumentation = telemetry?.instrumentation;
  return instrumentation?.handlerAttempt ? instrumentation.handlerAttempt(event, telemetry?.scope, work) : work();
}

/** Tells the instrumentation that the rate limiter made work wait. */
export function reportLimiterWait(telemetry: Telemetry | undefined, wait: RateLimiterWait): void {
  if (!telemetry?.instrumentation.rateLimiterWait) return;
  try {
    telemetry.instrumentation.rateLimiterWait(wait, telemetry.scope);
  } catch {
    // A measurement's failure must not break a download; the wait itself is unaffected.
  }
}
