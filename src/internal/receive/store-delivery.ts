// Storing a delivery before it is answered: the duplicate answer, and 503 when the store is down.
import { describeError } from "../../errors.ts";
import type { NewDelivery, NewEvent, ReceiveResult } from "../../types.ts";
import { answer } from "./answer.ts";
import { deliverySummary } from "./delivery-summary.ts";
import type { Integration, ReceiveContext } from "./receive-context.ts";

/** Stores a delivery (and its events) and gives `response`, or the duplicate answer; a store failure is 503 so the provider resends. */
export async function storeDelivery(
  ctx: ReceiveContext,
  delivery: NewDelivery,
  events: NewEvent[],
  response: ReceiveResult,
  integration: Integration,
): Promise<ReceiveResult> {
  try {
    await ctx.ensureReady();
    const result = await ctx.store.insertDelivery({ delivery, events });
    if (result.status === "duplicate") {
      const duplicate = answer(
        { kind: "duplicate", status: integration.acceptedStatus, deliveryId: result.deliveryId, duplicateOf: result.duplicateOf },
        integration.provider,
      );
      await recordDuplicateAnswer(ctx, result.deliveryId, duplicate);
      if (ctx.listening("delivery:received")) {
        ctx.emit("delivery:received", { delivery: deliverySummary({ ...delivery, status: "duplicate", response: duplicate }, result.duplicateOf, 0) });
      }
      return duplicate;
    }
    if (ctx.listening("delivery:received")) ctx.emit("delivery:received", { delivery: deliverySummary(delivery, null, events.length) });
    return response;
  } catch (error) {
    return storeUnavailable(ctx, delivery, error);
  }
}

/** The answer when the store could not keep a delivery: 503, reported and announced. */
export function storeUnavailable(ctx: ReceiveContext, delivery: NewDelivery, error: unknown): ReceiveResult {
  ctx.reportError(error, "could not store a delivery; answered 503 so the provider resends it");
  const response = answer({ kind: "store-unavailable" });
  ctx.emit("delivery:rejected", {
    delivery: deliverySummary({ ...delivery, status: "rejected", response }, null, 0),
    code: "STORE_FAILED",
    reason: describeError(error),
  });
  return response;
}

/** Records the answer given to a stored duplicate; best effort: the duplicate is stored, so failing here must not turn the answer into a 503. */
export async function recordDuplicateAnswer(ctx: ReceiveContext, id: string, response: ReceiveResult): Promise<void> {
  await ctx.store.updateDelivery({ id, response }).catch((error: unknown) => ctx.reportError(error, "could not record the answer to a duplicate"));
}
