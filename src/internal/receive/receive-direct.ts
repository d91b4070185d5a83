// `direct` mode in the request: store the delivery, process its events at once, answer by the result.
import type { ParsedEvent } from "../../contracts/provider-adapter.ts";
import { RateLimitedError, describeError, isWebhookInboxError } from "../../errors.ts";
import type { NewDelivery, ReceiveResult } from "../../types.ts";
import { processDirect } from "../process-direct.ts";
import { answer } from "./answer.ts";
import { deliverySummary } from "./delivery-summary.ts";
import type { Integration, ReceiveContext } from "./receive-context.ts";
import { recordDuplicateAnswer, storeUnavailable } from "./store-delivery.ts";

export async function receiveDirect(
  ctx: ReceiveContext,
  integrationId: string,
  integration: Integration,
  delivery: NewDelivery,
  events: readonly ParsedEvent[],
): Promise<ReceiveResult> {
  const processedResponse = answer({ kind: "processed", deliveryId: delivery.id, events: events.length }, integration.provider);
  try {
    await ctx.ensureReady();
    const stored = await ctx.store.insertDelivery({ delivery: { ...delivery, response: processedResponse }, events: [] });
    if (stored.status === "duplicate") {
      const duplicate = answer({ kind: "duplicate", status: 200, deliveryId: stored.deliveryId, duplicateOf: stored.duplicateOf }, integration.provider);
      await recordDuplicateAnswer(ctx, stored.deliveryId, duplicate);
      return duplicate;
    }
  } catch (error) {
    return storeUnavailable(ctx, delivery, error);
  }
  try {
    await processDirect({
      integration: integrationId,
      provider: integration.provider,
      deliveryId: delivery.id,
      events,
      receivedAt: delivery.receivedAt,
      clock: ctx.clock,
      limiter: ctx.limiter,
      fetchTimeoutMs: ctx.options.fetchTimeoutMs,
      handlerTimeoutMs: ctx.options.handlerTimeoutMs,
      handlerFor: ctx.handlerFor,
      signal: ctx.stopSignal(),
    });
    ctx.emit("delivery:received", { delivery: deliverySummary({ ...delivery, response: processedResponse }, null, 0) });
    return processedResponse;
  } catch (error) {
    const reason = describeError(error);
    const response = error instanceof RateLimitedError ? answer({ kind: "rate-limited", retryAfterMs: error.retryAfterMs }) : answer({ kind: "processing-failed" });
    // The provider will resend: free the dedupe key so that resend is processed, not answered "duplicate".
    await ctx.store
      .updateDelivery({ id: delivery.id, status: "failed", reason, response, releaseDedupeKey: true })
      .catch((updateError: unknown) => ctx.reportError(updateError, "could not record a direct delivery's failure"));
    // The cause's own code (RATE_LIMITED, PROVIDER_REQUEST_FAILED, HANDLER_TIMEOUT, INBOX_STOPPING); a handler's own error is HANDLER_FAILED.
    const code = isWebhookInboxError(error) ? error.code : "HANDLER_FAILED";
    ctx.emit("delivery:rejected", { delivery: deliverySummary({ ...delivery, status: "failed", reason, response }, null, 0), code, reason });
    return response;
  }
}
