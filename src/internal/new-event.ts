// Building the stored event for one parsed change of a delivery.
import type { ParsedEvent } from "../contracts/provider-adapter.ts";
import { createId } from "../ids.ts";
import type { Mode, NewDelivery, NewEvent } from "../types.ts";
import type { Integration } from "./receive/receive-context.ts";

/** The queued event for `event` of `delivery`, due at once (`immediate`) or after the integration's delay (`delayed`). */
export function newEvent(
  integrationId: string,
  integration: Integration,
  delivery: Pick<NewDelivery, "id" | "receivedAt">,
  event: ParsedEvent,
  mode: Exclude<Mode, "direct">,
  defaultMaxAttempts: number,
): NewEvent {
  const receivedAt = delivery.receivedAt;
  const delay = mode === "delayed" ? integration.delayMs : 0;
  return {
    id: createId(receivedAt.getTime()),
    deliveryId: delivery.id,
    integration: integrationId,
    provider: integration.provider.name,
    tenantId: event.tenantId,
    entityType: event.entityType,
    entityId: event.entityId,
    operation: event.operation,
    deleted: event.deleted,
    occurredAt: event.occurredAt,
    receivedAt,
    mode,
    status: "queued",
    maxAttempts: integration.maxAttempts ?? defaultMaxAttempts,
    nextAttemptAt: new Date(receivedAt.getTime() + delay),
    nextTrigger: mode === "immediate" ? "receive" : "scheduler",
    payload: event.payload,
  };
}

/** The distinct tenants a delivery's events belong to. */
export function tenantsOf(events: readonly Pick<ParsedEvent, "tenantId">[]): string[] {
  return [...new Set(events.map((event) => event.tenantId))];
}
