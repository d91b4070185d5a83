// `direct` mode in the request: store the delivery as in progress, process its events at once, record and answer the result.
import type { ParsedEvent } from "../../contracts/provider-adapter.ts";
import { RateLimitedError, describeError, isWebhookInboxError } from "../../errors.ts";
import type { NewDelivery, ReceiveResult } from "../../types.ts";
import { type DirectChange, processDirect } from "../process-direct.ts";
import { answer } from "./answer.ts";
import { deliverySummary } from "./delivery-summary.ts";
import type { Integration, ReceiveContext } from "./receive-context.ts";
import { recordDuplicateAnswer, storeUnavailable } from "./store-delivery.ts";

/** The reason a `direct` delivery is logged with while its handler runs (and after a crash, until an outcome is recorded). */
export const DIRECT_IN_PROGRESS_REASON = "direct: processing in the request; no outcome recorded yet";

/**
 * Stores the delivery as in progress (`accepted`, no recorded answer) with its de-duplication key,
 * processes its events, then records the outcome with the answer actually sent. A resend whose
 * original has no recorded outcome (its process died mid-handler, or it is still running) is processed,
 * not answered "duplicate": an acknowledged change is never lost, at the price of a possible second run.
 */
export async function receiveDirect(
  ctx: ReceiveContext,
  integrationId: string,
  integration: Integration,
  delivery: NewDelivery,
  events: readonly ParsedEvent[],
): Promise<ReceiveResult> {
  const inProgress: NewDelivery = { ...delivery, status: "accepted", reason: withNote(DIRECT_IN_PROGRESS_REASON, delivery.reason), response: null };
  let resendOf: string | null = null;
  let recordedId = delivery.id;
  try {
    await ctx.ensureReady();
    const stored = await ctx.store.insertDelivery({ delivery: inProgress, events: [] });
    if (stored.status === "duplicate") {
      const original = await ctx.store.getDelivery(stored.duplicateOf);
      if (original?.status !== "accepted" || original.response !== null) {
        const duplicate = answer({ kind: "duplicate", status: 200, deliveryId: stored.deliveryId, duplicateOf: stored.duplicateOf }, integration.provider);
        await recordDuplicateAnswer(ctx, stored.deliveryId, duplicate);
        return duplicate;
      }
      // The original's processing never recorded an outcome: this resend does the work.
      resendOf = original.id;
      recordedId = stored.deliveryId;
    }
  } catch (error) {
    return storeUnavailable(ctx, delivery, error);
  }
  const processedResponse = answer({ kind: "processed", deliveryId: recordedId, events: events.length }, integration.provider);
  const resendNote = resendOf === null ? null : `processed again: delivery ${resendOf} had no recorded outcome`;
  let failedChange: DirectChange | null = null;
  try {
    await processDirect({
      integration: integrationId,
      provider: integration.provider,
      deliveryId: recordedId,
      events,
      receivedAt: delivery.receivedAt,
      clock: ctx.clock,
      limiter: ctx.limiter,
      fetchTimeoutMs: ctx.options.fetchTimeoutMs,
      handlerTimeoutMs: ctx.options.handlerTimeoutMs,
      handlerFor: ctx.handlerFor,
      signal: ctx.stopSignal(),
      telemetry: ctx.telemetry,
      onChangeFailed: (change) => {
        failedChange = change;
      },
    });
  } catch (error) {
    const reason = withNote(describeError(error), resendNote);
    const response =
      error instanceof RateLimitedError ? answer({ kind: "rate-limited", retryAfterMs: error.retryAfterMs }) : answer({ kind: "processing-failed" });
    logDirectFailure(ctx, integrationId, recordedId, failedChange, response.status, reason);
    // The provider will resend: free the dedupe key so that resend is processed, not answered "duplicate".
    // Should this write fail, the delivery stays in progress without an outcome, and a resend is processed all the same.
    await ctx.store
      .updateDelivery({ id: recordedId, status: "failed", reason, response, releaseDedupeKey: resendOf === null })
      .catch((updateError: unknown) => ctx.reportError(updateError, "could not record a direct delivery's failure"));
    // The cause's own code (RATE_LIMITED, PROVIDER_REQUEST_FAILED, HANDLER_TIMEOUT, INBOX_STOPPING); a handler's own error is HANDLER_FAILED.
    const code = isWebhookInboxError(error) ? error.code : "HANDLER_FAILED";
    ctx.emit("delivery:rejected", { delivery: deliverySummary({ ...delivery, id: recordedId, status: "failed", reason, response }, null, 0), code, reason });
    return response;
  }
  // Every handler completed: the 200 is due whatever happens to the writes below (a failed one leaves the
  // delivery in progress, so a resend runs the handlers again: at-least-once, never lost).
  const reason = withNote(resendNote ?? "", delivery.reason) || null;
  await ctx.store
    .updateDelivery({ id: recordedId, status: "processed", reason, response: processedResponse })
    .catch((error: unknown) => ctx.reportError(error, "could not record a direct delivery's outcome"));
  if (resendOf !== null) {
    await ctx.store
      .updateDelivery({ id: resendOf, ifStatus: "accepted", status: "processed", reason: `no outcome recorded; processed on its resend ${recordedId}` })
      .catch((error: unknown) => ctx.reportError(error, "could not record a direct delivery's outcome"));
  }
  ctx.emit("delivery:received", {
    delivery: deliverySummary({ ...delivery, id: recordedId, status: "processed", reason, response: processedResponse }, null, 0),
  });
  return processedResponse;
}

function withNote(text: string, note: string | null): string {
  if (!note) return text;
  return text ? `${text}; ${note}` : note;
}

/** One line per failed `direct` delivery: `error` for a 500 (the provider retries on its own schedule), `warn` for a 429. */
function logDirectFailure(ctx: ReceiveContext, integration: string, deliveryId: string, change: DirectChange | null, status: number, reason: string): void {
  const context = {
    integration,
    deliveryId,
    ...(change ? { tenantId: change.tenantId, entityType: change.entityType, entityId: change.entityId, eventId: change.id } : {}),
    status,
  };
  const message = `direct mode: answered ${status}, the provider will resend: ${reason}`;
  if (status >= 500) ctx.logger.error(message, context);
  else ctx.logger.warn(message, context);
}
