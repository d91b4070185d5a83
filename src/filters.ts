import type { DeliveryFilter, DeliverySummary, EventFilter, EventRecord } from "./types.ts";

/** Normalises a one-or-many filter value to a list (`undefined` = no constraint). */
export function asList<T>(value: T | readonly T[] | undefined): readonly T[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/** Whether `needle` (lower case) occurs in `value` as JSON text (strings as themselves). */
function jsonContains(value: unknown, needle: string): boolean {
  if (value === undefined || value === null) return false;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text?.toLowerCase().includes(needle);
}

/**
 * The in-memory reading of `EventFilter`; SQL stores implement the same semantics in their WHERE
 * clauses. `resourceData` is the event's downloaded data, for the `text` filter.
 */
export function eventMatches(event: EventRecord, filter: EventFilter, resourceData?: unknown): boolean {
  const integrations = asList(filter.integration);
  if (integrations && !integrations.includes(event.integration)) return false;
  const tenants = asList(filter.tenantId);
  if (tenants && !tenants.includes(event.tenantId)) return false;
  const statuses = asList(filter.status);
  if (statuses && !statuses.includes(event.status)) return false;
  if (filter.entityType !== undefined && event.entityType !== filter.entityType) return false;
  if (filter.entityId !== undefined && event.entityId !== filter.entityId) return false;
  if (filter.deliveryId !== undefined && event.deliveryId !== filter.deliveryId) return false;
  if (filter.receivedFrom && event.receivedAt < filter.receivedFrom) return false;
  if (filter.receivedTo && event.receivedAt >= filter.receivedTo) return false;
  if (filter.search) {
    const needle = filter.search.toLowerCase();
    const haystack = [event.id, event.deliveryId, event.entityId, event.tenantId];
    if (!haystack.some((value) => value.toLowerCase().includes(needle))) return false;
  }
  if (filter.text) {
    const needle = filter.text.toLowerCase();
    if (!jsonContains(event.lastError, needle) && !jsonContains(event.payload, needle) && !jsonContains(resourceData, needle)) return false;
  }
  return true;
}

export function deliveryMatches(delivery: DeliverySummary, filter: DeliveryFilter): boolean {
  const integrations = asList(filter.integration);
  if (integrations && !integrations.includes(delivery.integration)) return false;
  const tenants = asList(filter.tenantId);
  if (tenants && !delivery.tenantIds.some((tenant) => tenants.includes(tenant))) return false;
  const statuses = asList(filter.status);
  if (statuses && !statuses.includes(delivery.status)) return false;
  if (filter.receivedFrom && delivery.receivedAt < filter.receivedFrom) return false;
  if (filter.receivedTo && delivery.receivedAt >= filter.receivedTo) return false;
  if (filter.search) {
    const needle = filter.search.toLowerCase();
    const haystack = [delivery.id, delivery.reason ?? ""];
    if (!haystack.some((value) => value.toLowerCase().includes(needle))) return false;
  }
  return true;
}

/** Default and maximum page sizes for every list. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export function pageSize(limit: number | undefined): number {
  return Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor(limit ?? DEFAULT_PAGE_SIZE)));
}
