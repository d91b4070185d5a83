import type { ProviderRequest } from "../../src/index.ts";
import { verifyHmacSignature } from "../../src/provider-kit/index.ts";

/** Header Xero puts the signature in (Xero's webhooks docs, "Configuring your server"). */
export const XERO_SIGNATURE_HEADER = "x-xero-signature";

/**
 * Checks `x-xero-signature`: base64(HMAC-SHA256(key = webhook key as UTF-8 text, never
 * base64-decoded, message = the exact body bytes)), compared in constant time. Throws `WebhookVerificationError`.
 */
export function verifyXeroSignature(request: ProviderRequest, webhookKey: string): void {
  verifyHmacSignature(request, { header: XERO_SIGNATURE_HEADER, secret: webhookKey, provider: "Xero", secretOption: "webhookKey" });
}
