// The answer to a webhook request: every HTTP status the receive pipeline gives is decided here.
import type { ReceiveResult } from "../../types.ts";

/** Why a request was refused before it was stored as a webhook. */
export type Refusal =
  | { readonly code: "INTEGRATION_UNKNOWN" }
  | { readonly code: "METHOD_NOT_ALLOWED" }
  | { readonly code: "PAYLOAD_TOO_LARGE"; readonly maxBodyBytes: number }
  | { readonly code: "UNSUPPORTED_MEDIA_TYPE"; readonly expected: readonly string[] }
  | { readonly code: "SIGNATURE_INVALID" };

/** How a request ended, as far as its answer is concerned. */
export type ReceiveOutcome =
  | { readonly kind: "refused"; readonly refusal: Refusal }
  /** Stored, processing follows (`immediate` and `delayed`). */
  | { readonly kind: "accepted"; readonly status: 200 | 202; readonly deliveryId: string; readonly events: number }
  | { readonly kind: "duplicate"; readonly status: 200 | 202; readonly deliveryId: string; readonly duplicateOf: string }
  /** Signed but unreadable: acknowledged so the provider does not resend it forever, kept for an operator. */
  | { readonly kind: "unparseable"; readonly status: 200 | 202; readonly deliveryId: string }
  /** Xero's intent to receive. */
  | { readonly kind: "handshake" }
  /** `direct` mode: processed in the request. */
  | { readonly kind: "processed"; readonly deliveryId: string; readonly events: number }
  /** `direct` mode: the provider's rate limit stopped processing. */
  | { readonly kind: "rate-limited"; readonly retryAfterMs: number }
  /** `direct` mode: processing failed. */
  | { readonly kind: "processing-failed" }
  /** The store could not keep the webhook: the provider must resend it. */
  | { readonly kind: "store-unavailable" }
  /** Anything unforeseen. */
  | { readonly kind: "internal" };

/** The one mapping from an outcome to its status, headers and body. */
export function answer(outcome: ReceiveOutcome): ReceiveResult {
  switch (outcome.kind) {
    case "refused":
      return refusalAnswer(outcome.refusal);
    case "accepted":
      return json(outcome.status, { status: "accepted", message: "Webhook accepted for processing", deliveryId: outcome.deliveryId, events: outcome.events });
    case "duplicate":
      return json(outcome.status, {
        status: "duplicate",
        message: "Webhook already received; it is not processed again",
        deliveryId: outcome.deliveryId,
        duplicateOf: outcome.duplicateOf,
      });
    case "unparseable":
      return json(outcome.status, { status: "unparseable", message: "Webhook stored for review: its body could not be parsed", deliveryId: outcome.deliveryId });
    case "handshake":
      return { status: 200, headers: {}, body: "" };
    case "processed":
      return json(200, { status: "processed", deliveryId: outcome.deliveryId, events: outcome.events });
    case "rate-limited":
      return error(503, "RATE_LIMITED", "Provider rate limit reached; retry later", { "retry-after": String(Math.ceil(outcome.retryAfterMs / 1000)) });
    case "processing-failed":
      return error(500, "PROCESSING_FAILED", "The webhook could not be processed");
    case "store-unavailable":
      return error(503, "STORE_FAILED", "Temporarily unable to store the webhook; please retry", { "retry-after": "5" });
    case "internal":
      return error(500, "INTERNAL", "The webhook could not be received");
  }
}

function refusalAnswer(refusal: Refusal): ReceiveResult {
  switch (refusal.code) {
    case "INTEGRATION_UNKNOWN":
      return error(404, refusal.code, "No webhook integration is configured at this address");
    case "METHOD_NOT_ALLOWED":
      return error(405, refusal.code, "Webhooks must be POSTed", { allow: "POST" });
    case "PAYLOAD_TOO_LARGE":
      return error(413, refusal.code, `Body larger than ${refusal.maxBodyBytes} bytes`);
    case "UNSUPPORTED_MEDIA_TYPE":
      return error(415, refusal.code, `Expected ${refusal.expected.join(" or ")}`);
    case "SIGNATURE_INVALID":
      // An empty body: Xero's intent to receive requires it, and it tells an attacker nothing.
      return { status: 401, headers: {}, body: "" };
  }
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

function json(status: number, body: unknown, headers: Record<string, string> = {}): ReceiveResult {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

function error(status: number, code: string, message: string, headers: Record<string, string> = {}): ReceiveResult {
  return json(status, { error: code, message }, headers);
}
