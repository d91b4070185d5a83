// One provider answer's changes as a stored delivery of ordinary events, counted as already applied or new.
import type { ProviderAdapter, ProviderChange } from "../../contracts/provider-adapter.ts";
import type { WebhookStore } from "../../contracts/webhook-store.ts";
import { createId } from "../../ids.ts";
import type { Mode, NewDelivery, NewEvent } from "../../types.ts";
import type { ReconcilePayload } from "./found-by.ts";

export interface ChangeBatch {
  readonly runId: string;
  readonly integration: string;
  readonly provider: ProviderAdapter;
  readonly tenantId: string;
  readonly entityType: string;
  readonly path: string;
  readonly changes: readonly ProviderChange[];
  /** When the answer arrived: the download time of the records it held. */
  readonly downloadedAt: Date;
  /** The store's download sequence taken before the call, when it has them. */
  readonly downloadSequence: number | undefined;
  readonly now: Date;
  readonly mode: Exclude<Mode, "direct">;
  readonly maxAttempts: number;
}

/**
 * Stores `batch` as one delivery (dedupe key `reconcile:<run>:<delivery>`, the answer's summary as its
 * body) whose events are due now with trigger `reconcile`, each marked found by reconciliation and
 * carrying its record. Resolves once they are durably stored, with how many the entity watermarks
 * already hold (their events will be `stale`) and how many are new.
 */
export async function storeChanges(store: WebhookStore, batch: ChangeBatch): Promise<{ deliveryId: string; alreadyApplied: number; new: number }> {
  const { now, tenantId, entityType, integration } = batch;
  const keys = batch.changes.map((change) => ({ integration, tenantId, entityType, entityId: change.entityId }));
  const marks = new Map((await store.getWatermarks(keys)).map((mark) => [mark.entityId, mark]));
  const alreadyApplied = batch.changes.filter((change) => {
    const mark = marks.get(change.entityId);
    return mark !== undefined && change.occurredAt.getTime() <= mark.occurredAt.getTime();
  }).length;
  const deliveryId = createId(now.getTime());
  const summary = {
    reconcile: { runId: batch.runId, entityType, path: batch.path, changes: batch.changes.length, downloadedAt: batch.downloadedAt.toISOString() },
  };
  const delivery: NewDelivery = {
    id: deliveryId,
    integration,
    provider: batch.provider.name,
    tenantIds: [tenantId],
    receivedAt: now,
    headers: { "x-webhook-inbox-reconcile": batch.runId },
    rawBody: new TextEncoder().encode(JSON.stringify(summary)),
    dedupeKey: `reconcile:${batch.runId}:${deliveryId}`,
    status: "accepted",
    reason: `found by reconciliation run ${batch.runId} (${batch.path}, ${entityType})`,
    response: null,
  };
  const events: NewEvent[] = batch.changes.map((change) => {
    const payload: ReconcilePayload = {
      foundBy: "reconciliation",
      runId: batch.runId,
      path: batch.path,
      resource: change.deleted ? null : change.data,
      downloadedAt: batch.downloadedAt.toISOString(),
      ...(batch.downloadSequence === undefined ? {} : { downloadSequence: batch.downloadSequence }),
    };
    return {
      id: createId(now.getTime()),
      deliveryId,
      integration,
      provider: batch.provider.name,
      tenantId,
      entityType,
      entityId: change.entityId,
      operation: change.deleted ? "Delete" : "Update",
      deleted: change.deleted,
      occurredAt: change.occurredAt,
      receivedAt: now,
      mode: batch.mode,
      status: "queued",
      maxAttempts: batch.maxAttempts,
      nextAttemptAt: now,
      nextTrigger: "reconcile",
      payload,
    };
  });
  await store.insertDelivery({ delivery, events });
  return { deliveryId, alreadyApplied, new: batch.changes.length - alreadyApplied };
}
