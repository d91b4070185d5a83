// A pass's processing inside the instrumentation's `pass` hook, and the inbox's view handed to `attach`.
import type { Instrumentation, InstrumentationScope, InstrumentationTarget, PassStart } from "../../contracts/instrumentation.ts";

/**
 * Runs `work` inside the instrumentation's `pass` hook; a pass that claimed nothing is not reported
 * (the scheduler polls every `pollIntervalMs`: empty passes would flood a trace backend).
 */
export function tracedPass<T>(
  instrumentation: Instrumentation | undefined,
  start: PassStart,
  work: (scope: InstrumentationScope | undefined) => Promise<T>,
): Promise<T> {
  if (!instrumentation?.pass || start.claimed + start.poisoned === 0) return work(undefined);
  return instrumentation.pass(start, work);
}

/** Hands the instrumentation its view of the inbox, once. */
export function attachInstrumentation(instrumentation: Instrumentation | undefined, target: InstrumentationTarget): void {
  instrumentation?.attach?.(target);
}
