// Re-processing an `unparseable` delivery: parse its stored body again and queue its events.
import type { Clock } from "../clock.ts";
import type { WebhookStore } from "../contracts/webhook-store.ts";
import { WebhookInboxError } from "../errors.ts";
import type { DeliveryRecord, Mode } from "../types.ts";
import { newEvent, tenantsOf } from "./new-event.ts";
import type { Integration } from "./receive/receive-context.ts";

export interface ReprocessContext {
  readonly store: WebhookStore;
  readonly clock: Clock;
  readonly maxAttempts: number;
  /** The integration, or a 404 `INTEGRATION_UNKNOWN`. */
  readonly integration: (id: string) => Integration;
  readonly effectiveMode: (id: string) => Mode;
}

/** Queues the events of delivery `id` (`immediate`, or `delayed` when that is the mode in force); resolves with the updated delivery. */
export async function reprocessDelivery(ctx: ReprocessContext, id: string): Promise<DeliveryRecord> {
  const delivery = await ctx.store.getDelivery(id);
  if (!delivery) throw new WebhookInboxError("DELIVERY_NOT_FOUND", `no delivery ${id}`, { status: 404 });
  if (delivery.status !== "unparseable") {
    throw new WebhookInboxError("CONFLICT", `delivery ${id} is ${delivery.status}; only unparseable deliveries can be re-processed`, { status: 409 });
  }
  const integration = ctx.integration(delivery.integration);
  const parsed = integration.provider.parse({ rawBody: delivery.rawBody, headers: delivery.headers, receivedAt: delivery.receivedAt });
  const mode = ctx.effectiveMode(delivery.integration) === "delayed" ? "delayed" : "immediate";
  const now = ctx.clock.now();
  const events = parsed.events.map((event) => newEvent(delivery.integration, integration, { id: delivery.id, receivedAt: now }, event, mode, ctx.maxAttempts));
  // Conditional on the status: of two requests racing (two clicks, two instances), one queues the events.
  const applied = await ctx.store.updateDelivery({
    id,
    ifStatus: "unparseable",
    status: "accepted",
    reason: "re-processed by an operator",
    events,
    tenantIds: tenantsOf(parsed.events),
  });
  if (!applied) throw new WebhookInboxError("CONFLICT", `delivery ${id} was re-processed by another request`, { status: 409 });
  return (await ctx.store.getDelivery(id))!;
}
