// Logging a refused request as a delivery, with a bounded prefix of its body.
import type { NewDelivery, ReceiveResult } from "../../types.ts";
import { type Refusal, answer } from "./answer.ts";
import { deliverySummary } from "./delivery-summary.ts";
import type { ReceiveContext } from "./receive-context.ts";

/** How much of a refused request's body the delivery log keeps. */
const REFUSED_BODY_BYTES = 16 * 1024;

/** Stores the refused request (best effort: a store failure here must not change the answer) and answers it. */
export async function logRefused(ctx: ReceiveContext, draft: NewDelivery, refusal: Refusal, reason: string): Promise<ReceiveResult> {
  const response = answer({ kind: "refused", refusal });
  // Anyone who knows the URL can send these: keep a prefix for diagnosis, not megabytes per request.
  const size = draft.rawBody.byteLength;
  const kept = size > REFUSED_BODY_BYTES ? draft.rawBody.subarray(0, REFUSED_BODY_BYTES) : draft.rawBody;
  const note = kept.byteLength < size ? ` (first ${REFUSED_BODY_BYTES} of ${size} body bytes kept)` : "";
  const delivery: NewDelivery = { ...draft, rawBody: kept, status: "rejected", reason: reason + note, response };
  ctx.logger.warn(`rejected a webhook request: ${reason}`, { integration: draft.integration, deliveryId: draft.id, status: response.status });
  try {
    await ctx.ensureReady();
    await ctx.store.insertDelivery({ delivery, events: [] });
  } catch (error) {
    ctx.reportError(error, "could not log a rejected request");
  }
  ctx.emit("delivery:rejected", { delivery: deliverySummary(delivery, null, 0), code: refusal.code, reason });
  return response;
}
