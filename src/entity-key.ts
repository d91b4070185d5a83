import type { EntityKey, Watermark } from "./types.ts";

/** One string per entity (integration, tenant, type, id): the key of its staleness watermark. */
export function entityKeyString(key: EntityKey): string {
  return JSON.stringify([key.integration, key.tenantId, key.entityType, key.entityId]);
}

/** True when watermark `a` is newer than `b` by (occurredAt, eventId): the deterministic tie-break. */
export function isNewerWatermark(a: Pick<Watermark, "occurredAt" | "eventId">, b: Pick<Watermark, "occurredAt" | "eventId">): boolean {
  const diff = a.occurredAt.getTime() - b.occurredAt.getTime();
  return diff > 0 || (diff === 0 && a.eventId > b.eventId);
}
