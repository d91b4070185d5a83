// Entity keys, and which of two watermarks is the newer.
import { compareEvents } from "./internal/staleness.ts";
import type { EntityKey, Watermark } from "./types.ts";

/** One string per entity (integration, tenant, type, id): the key of its staleness watermark. */
export function entityKeyString(key: EntityKey): string {
  return JSON.stringify([key.integration, key.tenantId, key.entityType, key.entityId]);
}

/** True when watermark `a` is newer than `b` by (occurredAt, eventId): the same order the pass and `direct` mode use. */
export function isNewerWatermark(a: Pick<Watermark, "occurredAt" | "eventId">, b: Pick<Watermark, "occurredAt" | "eventId">): boolean {
  return compareEvents({ occurredAt: a.occurredAt, id: a.eventId }, { occurredAt: b.occurredAt, id: b.eventId }) > 0;
}
