// How an event found by reconciliation is marked, and what the pass reads from that mark.
import type { EventRecord, Watermark } from "../../types.ts";
import { compareEvents, type StaleVerdict } from "../staleness.ts";
import type { EntityFetch } from "../fetch-resources.ts";

/** The payload of an event found by reconciliation: the mark, the run, and the record the provider's answer held. */
export interface ReconcilePayload {
  readonly foundBy: "reconciliation";
  readonly runId: string;
  /** How the provider was asked (`cdc`, `query`, `modified-since`). */
  readonly path: string;
  /** The record as the answer held it (`null` for a deletion): the event's downloaded resource. */
  readonly resource: unknown;
  /** When that answer arrived (ISO): the resource's download time. */
  readonly downloadedAt: string;
  /** The store's download sequence taken before the call (`WebhookStore.nextDownloadSequence`), when the store has them. */
  readonly downloadSequence?: number;
}

/** True for an event a reconciliation run created (its payload carries the mark). */
export function isFoundByReconciliation(event: Pick<EventRecord, "payload">): boolean {
  const payload = event.payload as Partial<ReconcilePayload> | null;
  return typeof payload === "object" && payload !== null && payload.foundBy === "reconciliation";
}

/**
 * The record a reconciliation answer held, as one entity's download: used on the event's first attempt
 * (trigger `reconcile`) instead of fetching again, unless another event of the entity names a change
 * newer than that answer (then the entity is fetched as usual).
 */
export function prefetched(events: readonly EventRecord[]): Extract<EntityFetch, { kind: "resource" }> | null {
  let best: { data: unknown; downloadedAt: Date; downloadSequence: number | undefined } | null = null;
  for (const event of events) {
    if (event.nextTrigger !== "reconcile" || !isFoundByReconciliation(event)) continue;
    const payload = event.payload as ReconcilePayload;
    const downloadedAt = new Date(payload.downloadedAt);
    if (Number.isNaN(downloadedAt.getTime())) continue;
    if (!best || downloadedAt > best.downloadedAt) best = { data: payload.resource ?? null, downloadedAt, downloadSequence: payload.downloadSequence };
  }
  if (!best) return null;
  const newestChange = Math.max(...events.map((event) => event.occurredAt.getTime()));
  if (best.downloadedAt.getTime() < newestChange) return null;
  return {
    kind: "resource",
    data: best.data,
    downloadedAt: best.downloadedAt,
    ...(typeof best.downloadSequence === "number" ? { downloadSequence: best.downloadSequence } : {}),
  };
}

/**
 * The order in which one entity's events are judged: `compareEvents`, except that at an equal `occurredAt`
 * a change found by reconciliation ranks below the webhook that reported the same change, so the webhook's
 * event is the one handled and the reconciliation's is stale.
 */
export function compareForHandling(a: EventRecord, b: EventRecord): number {
  if (a.occurredAt.getTime() === b.occurredAt.getTime()) {
    const found = Number(isFoundByReconciliation(a)) - Number(isFoundByReconciliation(b));
    if (found !== 0) return -found;
  }
  return compareEvents(a, b);
}

/**
 * A change found by reconciliation is already applied when the entity's watermark holds a change at least
 * as new: the same change (reported by its webhook) or a later one. Unlike a webhook's event, an equal time
 * with a larger id is not a newer change here: it is the same change, listed again.
 */
export function alreadyApplied(event: EventRecord, watermark: Watermark | undefined): StaleVerdict | null {
  if (!watermark || !isFoundByReconciliation(event)) return null;
  if (event.occurredAt.getTime() > watermark.occurredAt.getTime()) return null;
  return {
    supersededBy: watermark.eventId,
    reason: `already applied: event ${watermark.eventId} (occurred ${watermark.occurredAt.toISOString()}) applied this change or a later one; found again by reconciliation`,
  };
}
