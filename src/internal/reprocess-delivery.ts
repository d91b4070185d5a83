// Re-processing a delivery an operator can act on: an `unparseable` one (parse its stored body again), or
// a `direct` one whose request ended without a recorded outcome; either way its events are queued.
import type { Clock } from "../clock.ts";
import type { WebhookStore } from "../contracts/webhook-store.ts";
import { WebhookInboxError } from "../errors.ts";
import type { DeliveryRecord, DeliveryStatus, DeliverySummary, Mode } from "../types.ts";
import { newEvents, tenantsOf } from "./new-event.ts";
import { clampFutureChanges } from "./receive/clamp-future.ts";
import type { Integration } from "./receive/receive-context.ts";
import { DIRECT_IN_PROGRESS_REASON } from "./receive/receive-direct.ts";

export interface ReprocessContext {
  readonly store: WebhookStore;
  readonly clock: Clock;
  readonly maxAttempts: number;
  readonly futureOccurredAtToleranceMs: number;
  /** The integration, or a 404 `INTEGRATION_UNKNOWN`. */
  readonly integration: (id: string) => Integration;
  readonly effectiveMode: (id: string) => Mode;
}

/**
 * A `direct` delivery whose request ended without a recorded outcome: still `accepted` with no answer
 * and no events, as `receiveDirect` stores it before running the handlers (its process died
 * mid-handler, or writing the outcome failed). Nothing durable will process it but the provider's
 * resend, which may never come (the process died after the provider gave up waiting, or it was answered).
 */
export function isDirectWithoutOutcome(delivery: Pick<DeliverySummary, "status" | "response" | "eventCount" | "reason">): boolean {
  return (
    delivery.status === "accepted" && delivery.response === null && delivery.eventCount === 0 && (delivery.reason ?? "").startsWith(DIRECT_IN_PROGRESS_REASON)
  );
}

/** Whether `reprocessDelivery` applies to the delivery (the dashboard shows its Re-process action then). */
export function isReprocessable(delivery: Pick<DeliverySummary, "status" | "response" | "eventCount" | "reason">): boolean {
  return delivery.status === "unparseable" || isDirectWithoutOutcome(delivery);
}

/**
 * Queues the events of delivery `id` (`immediate`, or `delayed` when that is the mode in force; a
 * `direct` integration's events are queued as `immediate`); resolves with the updated delivery. The
 * change is the store's conditional update on the delivery's status, so of two requests racing (two
 * clicks, two instances) exactly one queues the events; the other gets 409.
 */
export async function reprocessDelivery(ctx: ReprocessContext, id: string): Promise<DeliveryRecord> {
  const delivery = await ctx.store.getDelivery(id);
  if (!delivery) throw new WebhookInboxError("DELIVERY_NOT_FOUND", `no delivery ${id}`, { status: 404 });
  const direct = isDirectWithoutOutcome(delivery);
  if (delivery.status !== "unparseable" && !direct) {
    throw new WebhookInboxError(
      "CONFLICT",
      `delivery ${id} is ${delivery.status}${delivery.response === null ? "" : ` (answered ${delivery.response.status})`}; only unparseable deliveries and direct deliveries without a recorded outcome can be re-processed`,
      { status: 409 },
    );
  }
  const integration = ctx.integration(delivery.integration);
  const parsed = integration.provider.parse({ rawBody: delivery.rawBody, headers: delivery.headers, receivedAt: delivery.receivedAt });
  const changes = clampFutureChanges(parsed.events, delivery.receivedAt, ctx.futureOccurredAtToleranceMs).events;
  const mode = ctx.effectiveMode(delivery.integration) === "delayed" ? "delayed" : "immediate";
  const now = ctx.clock.now();
  const events = newEvents(delivery.integration, integration, { id: delivery.id, receivedAt: now }, changes, mode, ctx.maxAttempts);
  const count = `${events.length} event${events.length === 1 ? "" : "s"} queued`;
  // A direct delivery leaves `accepted` for `failed` (its request did fail to finish), so the update stays
  // conditional, and a resend of it is answered "duplicate": its queued events do the work.
  const change: { ifStatus: DeliveryStatus; status: DeliveryStatus; reason: string } = direct
    ? {
        ifStatus: "accepted",
        status: "failed",
        reason: `no outcome recorded (the request ended before its handlers finished); re-processed by an operator: ${count}`,
      }
    : { ifStatus: "unparseable", status: "accepted", reason: "re-processed by an operator" };
  const applied = await ctx.store.updateDelivery({ id, ...change, events, tenantIds: tenantsOf(changes) });
  if (!applied) throw new WebhookInboxError("CONFLICT", `delivery ${id} was re-processed by another request`, { status: 409 });
  return (await ctx.store.getDelivery(id))!;
}
