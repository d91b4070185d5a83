// Building the stored events for the parsed changes of a delivery.
import type { ParsedEvent } from "../contracts/provider-adapter.ts";
import { createId } from "../ids.ts";
import type { Mode, NewDelivery, NewEvent } from "../types.ts";
import type { Integration } from "./receive/receive-context.ts";

/**
 * The queued events for the changes of one delivery, each due at once (`immediate`) or after the
 * integration's delay (`delayed`). What they share (due time, attempts, provider)
 * is worked out once: one `nextAttemptAt` Date for the delivery rather than one per event (a Date is
 * never mutated here; a later attempt time replaces it).
 */
export function newEvents(
  integrationId: string,
  integration: Integration,
  delivery: Pick<NewDelivery, "id" | "receivedAt">,
  events: readonly ParsedEvent[],
  mode: Exclude<Mode, "direct">,
  defaultMaxAttempts: number,
): NewEvent[] {
  const receivedAt = delivery.receivedAt;
  const delay = mode === "delayed" ? integration.delayMs : 0;
  const nextAttemptAt = delay === 0 ? receivedAt : new Date(receivedAt.getTime() + delay);
  const at = receivedAt.getTime();
  const provider = integration.provider.name;
  const maxAttempts = integration.maxAttempts ?? defaultMaxAttempts;
  const nextTrigger = mode === "immediate" ? "receive" : "scheduler";
  const out: NewEvent[] = new Array(events.length);
  for (let i = 0; i < events.length; i += 1) {
    const event = events[i]!;
    out[i] = {
      id: createId(at),
      deliveryId: delivery.id,
      integration: integrationId,
      provider,
      tenantId: event.tenantId,
      entityType: event.entityType,
      entityId: event.entityId,
      operation: event.operation,
      deleted: event.deleted,
      occurredAt: event.occurredAt,
      receivedAt,
      mode,
      status: "queued",
      maxAttempts,
      nextAttemptAt,
      nextTrigger,
      payload: event.payload,
    };
  }
  return out;
}

/** The distinct tenants a delivery's events belong to. */
export function tenantsOf(events: readonly Pick<ParsedEvent, "tenantId">[]): string[] {
  // Most deliveries name one tenant: no Set for them.
  const first = events[0]?.tenantId;
  if (first === undefined) return [];
  let single = true;
  for (let i = 1; i < events.length && single; i += 1) single = events[i]!.tenantId === first;
  return single ? [first] : [...new Set(events.map((event) => event.tenantId))];
}
