// The part of the inbox an HTTP adapter uses, and its runtime check.
import type { ReceiveInput } from "./receive-input.ts";
import type { ReceiveResult } from "./types.ts";

/** The part of the inbox an HTTP adapter uses (a `WebhookProcessor` fits). */
export interface WebhookReceiver {
  receive(input: ReceiveInput): Promise<ReceiveResult>;
  /** Largest body accepted; the adapter stops reading past it. */
  readonly maxBodyBytes: number;
}

/**
 * True when `value` can stand in for the inbox in an HTTP adapter: it has `receive()` and a numeric
 * `maxBodyBytes`. Adapters check this at construction, so passing the wrong object fails at once
 * with a `WebhookConfigError` instead of on the first webhook. Use it in a zod schema:
 * `z.custom<WebhookReceiver>(isWebhookReceiver, { error: "..." })`.
 */
export function isWebhookReceiver(value: unknown): value is WebhookReceiver {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as WebhookReceiver).receive === "function" &&
    typeof (value as WebhookReceiver).maxBodyBytes === "number"
  );
}
