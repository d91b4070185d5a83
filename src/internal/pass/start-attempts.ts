// Counting started attempts: the store is told right before handlers run, one write per window of handlerConcurrency handlers.
import type { ClaimedEvent } from "../../contracts/webhook-store.ts";
import { describeError } from "../../errors.ts";
import type { HandleWork } from "./handle-event.ts";
import type { PassContext } from "./pass-context.ts";

/**
 * Returns `start(index)`: resolves with `works[index]` as its handler should see it (one more
 * started attempt) once the store has counted the start, or `null` when the lease was lost or the
 * write failed (the handler must not run). The first call in each window of `handlerConcurrency`
 * handlers writes the whole window's starts in one `startAttempts` call, so a pass of N handlers costs
 * ceil(N / handlerConcurrency) writes, and a process that dies mid-handler has charged an interrupted
 * attempt only to the events of the windows begun (the running handlers and at most one window more),
 * not to everything it claimed. A store without `startAttempts` counted every claim instead.
 */
export function attemptStarts(ctx: PassContext, works: readonly HandleWork[]): (index: number) => Promise<HandleWork | null> {
  const store = ctx.store;
  if (!store.startAttempts) return async (index) => works[index]!;
  const size = Math.max(1, ctx.handlerConcurrency);
  const windows = new Map<number, Promise<boolean[] | null>>();
  return async (index) => {
    const window = Math.floor(index / size);
    let written = windows.get(window);
    if (!written) {
      const leases = works.slice(window * size, (window + 1) * size).map(({ event }) => ({ eventId: event.id, leaseToken: event.leaseToken }));
      written = store.startAttempts!({ now: ctx.clock.now(), leases }).catch((error: unknown) => {
        ctx.logger.error(`could not record that handlers start; their events are handed back: ${describeError(error)}`);
        return null;
      });
      windows.set(window, written);
    }
    const started = await written;
    if (!started?.[index - window * size]) return null;
    const work = works[index]!;
    const event: ClaimedEvent = { ...work.event, attemptsStarted: work.event.attemptsStarted + 1 };
    return { ...work, event };
  };
}
