// The answer to a webhook request: every HTTP status the receive pipeline gives is decided here.
import type { AcknowledgementInput, ProviderAdapter } from "../../contracts/provider-adapter.ts";
import { jsonAcknowledgement } from "../../provider-kit/acknowledgement.ts";
import type { ReceiveResult } from "../../types.ts";

/** Why a request was refused before it was stored as a webhook. */
export type Refusal =
  | { readonly code: "INTEGRATION_UNKNOWN" }
  | { readonly code: "METHOD_NOT_ALLOWED" }
  | { readonly code: "PAYLOAD_TOO_LARGE"; readonly maxBodyBytes: number }
  | { readonly code: "UNSUPPORTED_MEDIA_TYPE"; readonly expected: readonly string[] }
  | { readonly code: "SIGNATURE_INVALID" }
  /** The adapter had no body to hand over (see `ReceiveInput.unread`); `error` is the answer's own code. */
  | { readonly code: "REQUEST_INVALID"; readonly status: 400 | 500; readonly error: string; readonly message: string };

/** How a request ended, as far as its answer is concerned. */
export type ReceiveOutcome =
  | { readonly kind: "refused"; readonly refusal: Refusal }
  /** Stored, processing follows (`immediate` and `delayed`). `status`: the integration's `acceptedStatus` override. */
  | { readonly kind: "accepted"; readonly status?: 200 | 202 | undefined; readonly deliveryId: string; readonly events: number }
  | { readonly kind: "duplicate"; readonly status?: 200 | 202 | undefined; readonly deliveryId: string; readonly duplicateOf: string }
  /** Signed but unreadable: acknowledged so the provider does not resend it forever, kept for an operator. */
  | { readonly kind: "unparseable"; readonly status?: 200 | 202 | undefined; readonly deliveryId: string }
  /** Xero's intent to receive. */
  | { readonly kind: "handshake"; readonly deliveryId: string }
  /** `direct` mode: processed in the request. */
  | { readonly kind: "processed"; readonly deliveryId: string; readonly events: number }
  /** `direct` mode: the provider's rate limit stopped processing. */
  | { readonly kind: "rate-limited"; readonly retryAfterMs: number }
  /** `direct` mode: processing failed. */
  | { readonly kind: "processing-failed" }
  /** The store could not keep the webhook: the provider must resend it. */
  | { readonly kind: "store-unavailable" }
  /** More receives in flight than `maxInFlightReceives`: the provider must resend. */
  | { readonly kind: "overloaded" }
  /** Anything unforeseen. */
  | { readonly kind: "internal" };

/**
 * The one mapping from an outcome to its status, headers and body. A stored (or, in `direct` mode,
 * processed) delivery is acknowledged the way its provider requires (`provider.acknowledge`: Xero 200
 * with an empty body, QuickBooks 200); without one, `202` with a JSON body naming the delivery.
 */
export function answer(outcome: ReceiveOutcome, provider?: Pick<ProviderAdapter, "acknowledge">): ReceiveResult {
  switch (outcome.kind) {
    case "refused":
      return refusalAnswer(outcome.refusal);
    case "accepted":
      return acknowledge(provider, { outcome: "accepted", deliveryId: outcome.deliveryId, events: outcome.events, ...status(outcome.status) });
    case "duplicate":
      return acknowledge(provider, {
        outcome: "duplicate",
        deliveryId: outcome.deliveryId,
        events: 0,
        duplicateOf: outcome.duplicateOf,
        ...status(outcome.status),
      });
    case "unparseable":
      return acknowledge(provider, { outcome: "unparseable", deliveryId: outcome.deliveryId, events: 0, ...status(outcome.status) });
    case "handshake":
      return acknowledge(provider, { outcome: "handshake", deliveryId: outcome.deliveryId, events: 0 });
    case "processed":
      return acknowledge(provider, { outcome: "processed", deliveryId: outcome.deliveryId, events: outcome.events });
    case "rate-limited":
      return error(503, "RATE_LIMITED", "Provider rate limit reached; retry later", { "retry-after": String(Math.ceil(outcome.retryAfterMs / 1000)) });
    case "processing-failed":
      return error(500, "PROCESSING_FAILED", "The webhook could not be processed");
    case "store-unavailable":
      return error(503, "STORE_FAILED", "Temporarily unable to store the webhook; please retry", { "retry-after": "5" });
    case "overloaded":
      return error(503, "OVERLOADED", "Too many webhooks in progress; please retry", { "retry-after": "1" });
    case "internal":
      return error(500, "INTERNAL", "The webhook could not be received");
  }
}

function status(value: 200 | 202 | undefined): { status?: 200 | 202 } {
  return value === undefined ? {} : { status: value };
}

/** The provider's acknowledgement, checked; one that throws or is malformed falls back to the JSON form. */
function acknowledge(provider: Pick<ProviderAdapter, "acknowledge"> | undefined, input: AcknowledgementInput): ReceiveResult {
  if (provider?.acknowledge) {
    try {
      const given = provider.acknowledge(input);
      if (Number.isInteger(given.status) && given.status >= 200 && given.status <= 299 && typeof given.body === "string") {
        return { status: given.status, headers: { ...given.headers }, body: given.body };
      }
    } catch {
      // A broken adapter must not lose the delivery's answer: the stored delivery gets the JSON form below.
    }
  }
  const fallback = jsonAcknowledgement(input);
  return { status: fallback.status, headers: { ...fallback.headers }, body: fallback.body };
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
    case "REQUEST_INVALID":
      return error(refusal.status, refusal.error, refusal.message);
  }
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

function json(status: number, body: unknown, headers: Record<string, string> = {}): ReceiveResult {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

function error(status: number, code: string, message: string, headers: Record<string, string> = {}): ReceiveResult {
  return json(status, { error: code, message }, headers);
}
