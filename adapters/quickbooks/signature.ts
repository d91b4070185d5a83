import type { ProviderRequest } from "../../src/index.ts";
import { verifyHmacSignature } from "../../src/provider-kit/index.ts";

/** Header Intuit puts the signature in (Intuit's webhooks docs, "Validating the notification"). */
export const QUICKBOOKS_SIGNATURE_HEADER = "intuit-signature";

/**
 * Checks `intuit-signature`: base64(HMAC-SHA256(key = verifier token as UTF-8, message = the exact
 * body bytes)), compared in constant time. Throws `WebhookVerificationError`.
 */
export function verifyQuickBooksSignature(request: ProviderRequest, verifierToken: string): void {
  verifyHmacSignature(request, { header: QUICKBOOKS_SIGNATURE_HEADER, secret: verifierToken, provider: "QuickBooks", secretOption: "verifierToken" });
}
