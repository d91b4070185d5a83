// Clamping a change dated in the future to its receive time, so it cannot outrank later real changes.
import type { ParsedEvent } from "../../contracts/provider-adapter.ts";
import { isPlainRecord } from "../../provider-kit/shape-checks.ts";

/** What a clamped change's payload carries: the time it was sent with and the tolerance it broke. */
export interface OccurredAtClamped {
  readonly sent: string;
  readonly toleranceMs: number;
}

/**
 * Dates every change whose `occurredAt` lies more than `toleranceMs` after `receivedAt` at `receivedAt`,
 * and flags it in its payload (`occurredAtClamped`; a payload that is not an object is wrapped as
 * `{ payload, occurredAtClamped }`). The order of an entity's changes is by `occurredAt`: one dated two
 * hours ahead would otherwise make every real change of those two hours stale.
 */
export function clampFutureChanges(events: readonly ParsedEvent[], receivedAt: Date, toleranceMs: number): { events: readonly ParsedEvent[]; clamped: number } {
  const limit = receivedAt.getTime() + toleranceMs;
  // Almost always nothing is clamped: then the events are given back as they are, without a copy.
  let future = false;
  for (let i = 0; i < events.length && !future; i += 1) future = events[i]!.occurredAt.getTime() > limit;
  if (!future) return { events, clamped: 0 };
  let clamped = 0;
  const out = events.map((event) => {
    if (!(event.occurredAt.getTime() > limit)) return event;
    clamped += 1;
    const flag: OccurredAtClamped = { sent: event.occurredAt.toISOString(), toleranceMs };
    const payload = isPlainRecord(event.payload) ? { ...event.payload, occurredAtClamped: flag } : { payload: event.payload, occurredAtClamped: flag };
    return { ...event, occurredAt: receivedAt, payload };
  });
  return { events: out, clamped };
}

/** The note the delivery's reason gets, empty when nothing was clamped. */
export function clampNote(clamped: number, toleranceMs: number): string {
  if (clamped === 0) return "";
  return `${clamped} ${clamped === 1 ? "change" : "changes"} dated more than ${toleranceMs} ms after its receive time clamped to the receive time`;
}
