// The in-flight bound: how many receives may hold a request body at once before new ones are answered 503.
import type { NewDelivery, ReceiveResult } from "../../types.ts";
import { answer } from "./answer.ts";
import { deliverySummary } from "./delivery-summary.ts";
import type { ReceiveContext } from "./receive-context.ts";

/** A counter of receives in progress, bounded by `maxInFlightReceives`. */
export class InFlightBound {
  #count = 0;
  constructor(readonly limit: number) {}

  /** Takes a place, or says there is none; every `true` must be paired with one `leave()` (in a `finally`). */
  tryEnter(): boolean {
    if (this.#count >= this.limit) return false;
    this.#count += 1;
    return true;
  }

  leave(): void {
    this.#count -= 1;
  }

  get count(): number {
    return this.#count;
  }
}

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
