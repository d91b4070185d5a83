// The answer to a receive beyond the in-flight bound (see in-flight-bound.ts): 503, logged, not stored.
import type { NewDelivery, ReceiveResult } from "../../types.ts";
import { answer } from "./answer.ts";
import { deliverySummary } from "./delivery-summary.ts";
import type { ReceiveContext } from "./receive-context.ts";

/**
 * Answers a receive beyond the bound: 503 + `Retry-After`, so the provider resends. Deliberately not
 * written to the store: receives pile up when the store is slow, and one insert per refused request
 * would cost exactly what the bound protects. The refusal is logged through the logger and announced
 * with `delivery:rejected` (code `OVERLOADED`) instead; the body is dropped at once.
 */
export function refuseOverloaded(ctx: ReceiveContext, draft: NewDelivery, limit: number): ReceiveResult {
  const response = answer({ kind: "overloaded" });
  const reason = `${limit} receives already in flight (maxInFlightReceives); answered 503 so the provider resends`;
  ctx.logger.warn(`rejected a webhook request: ${reason}`, { integration: draft.integration, deliveryId: draft.id, status: response.status });
  if (ctx.listening("delivery:rejected")) {
    const delivery: NewDelivery = { ...draft, rawBody: new Uint8Array(), status: "rejected", reason, response };
    ctx.emit("delivery:rejected", { delivery: deliverySummary(delivery, null, 0), code: "OVERLOADED", reason });
  }
  return response;
}
