import type { NewDelivery, NewEvent, WebhookStore } from "../../src/index.ts";
import { createId } from "../../src/store-kit/index.ts";
import { INSTANT_PROVIDER } from "./instant-provider.ts";

/** Integration id the loaded events belong to. */
export const LOADED_INTEGRATION = "instant";

/** One loaded event's entity: distinct per event, spread over 4 tenants and 2 types. */
export function loadedEntity(index: number): { tenantId: string; entityType: string; entityId: string } {
  return { tenantId: `tenant-${index % 4}`, entityType: index % 3 === 0 ? "Contact" : "Invoice", entityId: `e-${index}` };
}

/**
 * Puts `count` queued events straight into a store, `perDelivery` to a delivery, every one due now
 * and for a distinct entity (so each is fetched and handled: no staleness short-cuts). Loading is
 * not what is measured; going through the store's own `insertDelivery` keeps the rows real.
 */
export async function loadEvents(store: WebhookStore, count: number, options: { perDelivery?: number; from?: number } = {}): Promise<void> {
  const perDelivery = options.perDelivery ?? 100;
  const from = options.from ?? 0;
  const receivedAt = new Date(Date.now() - 60_000);
  const pending: Promise<unknown>[] = [];
  for (let start = 0; start < count; start += perDelivery) {
    const delivery: NewDelivery = {
      id: createId(),
      integration: LOADED_INTEGRATION,
      provider: INSTANT_PROVIDER,
      tenantIds: ["tenant-0", "tenant-1", "tenant-2", "tenant-3"],
      receivedAt,
      headers: { "content-type": "application/json" },
      rawBody: new TextEncoder().encode(`{"events":"${start}..${start + perDelivery}"}`),
      dedupeKey: `bench:${from + start}:${createId()}`,
      status: "accepted",
      reason: null,
      response: { status: 202, headers: {}, body: "" },
    };
    const events: NewEvent[] = [];
    for (let i = start; i < Math.min(count, start + perDelivery); i += 1) {
      const entity = loadedEntity(from + i);
      events.push({
        id: createId(),
        deliveryId: delivery.id,
        integration: LOADED_INTEGRATION,
        provider: INSTANT_PROVIDER,
        ...entity,
        operation: "update",
        deleted: false,
        occurredAt: new Date(receivedAt.getTime() - 1_000),
        receivedAt,
        mode: "delayed",
        status: "queued",
        maxAttempts: 3,
        nextAttemptAt: receivedAt,
        nextTrigger: "scheduler",
        payload: { entityId: entity.entityId },
      });
    }
    pending.push(store.insertDelivery({ delivery, events }));
    // A few in flight at once lets group commit work without holding the whole load in memory.
    if (pending.length >= 8) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
}
