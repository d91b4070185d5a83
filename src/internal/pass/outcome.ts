// A claimed event's outcome in a pass, and writing outcomes: one store call per chunk, announced once written.
import type { ClaimedEvent } from "../../contracts/webhook-store.ts";
import { announce } from "./announce.ts";
import type { PassContext } from "./pass-context.ts";
import { type Transition, type Verdict, transition } from "./transitions.ts";

/** A finish waiting to be written, with what to announce once it is. */
export interface Outcome {
  readonly event: ClaimedEvent;
  readonly transition: Transition;
}

/** The outcome of `verdict` for `event`, at the clock's current time. */
export function outcome(ctx: PassContext, event: ClaimedEvent, verdict: Verdict): Outcome {
  return { event, transition: transition(event, verdict, ctx, ctx.clock.now()) };
}

/** Writes every outcome in one store call, then announces what was written. */
export async function recordOutcomes(ctx: PassContext, outcomes: readonly Outcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  const inputs = outcomes.map((item) => item.transition.finish);
  // One retry for a passing store fault: the alternative is redoing the work after the leases expire.
  const results = await ctx.store.finishAttempts(inputs).catch(() => ctx.store.finishAttempts(inputs));
  outcomes.forEach((item, index) => {
    if (results[index]) announce(ctx, item.event, item.transition);
    else lostLease(ctx, item.event);
  });
}

export function lostLease(ctx: PassContext, event: ClaimedEvent): void {
  ctx.logger.warn("lost the lease on an event before finishing it; another worker owns it now", { eventId: event.id });
}
