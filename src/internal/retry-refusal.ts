// Manual-retry refusal: why an event that could not be re-queued is not retried.
import type { WebhookStore } from "../contracts/webhook-store.ts";
import { WebhookInboxError } from "../errors.ts";

/** Throws EVENT_NOT_FOUND (404) or EVENT_NOT_RETRYABLE (409) for an event the store refused to re-queue. */
export async function refuseRetry(store: WebhookStore, id: string): Promise<never> {
  const existing = await store.getEvent(id);
  if (!existing) throw new WebhookInboxError("EVENT_NOT_FOUND", `no event ${id}`, { status: 404 });
  const why = existing.status === "succeeded" ? "it already succeeded" : "another worker is processing it right now";
  throw new WebhookInboxError("EVENT_NOT_RETRYABLE", `event ${id} cannot be retried: ${why}`, { status: 409 });
}
