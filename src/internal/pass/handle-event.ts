// Handling one entity's newest event: the host's handler, in the store's transaction when asked, and its verdict.
import type { ClaimedEvent } from "../../contracts/webhook-store.ts";
import { describeError } from "../../errors.ts";
import type { EventRecord, InboxEvent } from "../../types.ts";
import { runHandler } from "../run-handler.ts";
import { announce } from "./announce.ts";
import { type Outcome, lostLease, outcome } from "./outcome.ts";
import type { PassContext } from "./pass-context.ts";

/** One entity's newest event and its data; `note` tells how a second read settled its record. */
export interface HandleWork {
  readonly event: ClaimedEvent;
  readonly data: unknown;
  readonly downloadedAt: Date;
  readonly downloadSequence: number | undefined;
  readonly note: string | null;
}

/** Runs the handler for `work` and adds its outcome to `outcomes` (a transactional success is written and announced here). */
export async function handleEvent(ctx: PassContext, work: HandleWork, outcomes: Outcome[]): Promise<void> {
  const { event } = work;
  const handler = ctx.handlerFor(event.integration, event.entityType);
  const resource = { data: work.data, downloadedAt: work.downloadedAt, downloadSequence: work.downloadSequence };
  const startedAt = ctx.clock.now();
  if (!handler) {
    outcomes.push(
      outcome(ctx, event, { kind: "failed", startedAt, error: `no handler for ${event.integration}/${event.entityType}`, retryable: false, resource }),
    );
    return;
  }
  const inboxEvent = toInboxEvent(event, work.data, work.downloadedAt);
  try {
    if (ctx.transactionalHandler && ctx.store.transaction) {
      const success = await ctx.store.transaction(async (transaction) => {
        await runHandler(ctx, handler, inboxEvent, transaction);
        const done = outcome(ctx, event, { kind: "succeeded", startedAt, resource, note: work.note });
        const [finished] = await ctx.store.finishAttempts([done.transition.finish], transaction);
        // Another worker owns the event now: roll the host's writes back with ours.
        if (!finished) throw new LeaseLostError();
        return done;
      });
      // Already written with the host's transaction: announce only.
      announce(ctx, event, success.transition);
      return;
    }
    await runHandler(ctx, handler, inboxEvent, undefined);
    outcomes.push(outcome(ctx, event, { kind: "succeeded", startedAt, resource, note: work.note }));
  } catch (error) {
    if (error instanceof LeaseLostError) lostLease(ctx, event);
    // Stopped mid-attempt: not the event's fault. Hand it back, due now, with nothing spent.
    else if (ctx.signal.aborted) outcomes.push(outcome(ctx, event, { kind: "released", at: ctx.clock.now() }));
    else outcomes.push(outcome(ctx, event, { kind: "failed", startedAt, error: describeError(error), retryable: true, resource }));
  }
}

/** The lease was lost before a transactional finish: the transaction must roll back. */
class LeaseLostError extends Error {
  override name = "LeaseLostError";
}

/** The event as the host's handler receives it. */
export function toInboxEvent(event: EventRecord, resource: unknown, downloadedAt: Date): InboxEvent {
  return {
    id: event.id,
    integration: event.integration,
    tenantId: event.tenantId,
    entityType: event.entityType,
    entityId: event.entityId,
    operation: event.operation,
    occurredAt: event.occurredAt,
    resource: resource ?? null,
    deliveryId: event.deliveryId,
    provider: event.provider,
    receivedAt: event.receivedAt,
    downloadedAt,
    trigger: event.nextTrigger,
    attempt: event.attemptsStarted,
    payload: event.payload,
  };
}
