import { createHmac, timingSafeEqual } from "node:crypto";
import { WebhookVerificationError, type ProviderRequest } from "../../src/index.ts";

/** Header Xero puts the signature in (PROVIDERS.md §2.2). */
export const XERO_SIGNATURE_HEADER = "x-xero-signature";

/** base64(HMAC-SHA256(key = webhook key as UTF-8 text, never base64-decoded, message = the exact body bytes)). */
export function computeXeroSignature(rawBody: Uint8Array, webhookKey: string): Buffer {
  return createHmac("sha256", Buffer.from(webhookKey, "utf8")).update(rawBody).digest();
}

/**
 * Checks `x-xero-signature` against the raw bytes in constant time.
 * The header is decoded from base64 and compared as 32 raw bytes, so padding or
 * transport whitespace around the value cannot change the outcome.
 */
export function verifyXeroSignature(request: ProviderRequest, webhookKey: string): void {
  const header = request.headers[XERO_SIGNATURE_HEADER];
  if (typeof header !== "string" || header.trim() === "") throw new WebhookVerificationError();
  const expected = computeXeroSignature(request.rawBody, webhookKey);
  const received = decodeBase64Strict(header.trim());
  // Equal lengths are required by timingSafeEqual; a wrong length is a wrong signature.
  if (received === undefined || received.length !== expected.length || !timingSafeEqual(received, expected)) {
    throw new WebhookVerificationError();
  }
}

/** Base64 decode that refuses anything that is not canonical base64 (Buffer.from silently skips junk). */
function decodeBase64Strict(value: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return undefined;
  const decoded = Buffer.from(value, "base64");
  return decoded.toString("base64") === value ? decoded : undefined;
}
