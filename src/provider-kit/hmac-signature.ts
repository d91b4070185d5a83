import { createHmac, timingSafeEqual } from "node:crypto";
import type { ProviderRequest } from "../contracts/provider-adapter.ts";
import { WebhookVerificationError } from "../errors.ts";

/** Where a base64 HMAC-SHA256 signature is and what it is keyed with. */
export interface HmacSignatureOptions {
  /** Lower-cased name of the header that carries the signature (`intuit-signature`, `x-xero-signature`). */
  readonly header: string;
  /** The shared secret, used as UTF-8 text: never base64- or hex-decoded first. */
  readonly secret: string;
  /** The provider's name in failure messages, e.g. `"QuickBooks"`. @default "the provider" */
  readonly provider?: string;
  /** The option that holds `secret`, named in the message when the signature does not match, e.g. `"verifierToken"`. @default "the signing secret" */
  readonly secretOption?: string;
}

/** HMAC-SHA256 of the exact body bytes, keyed by `secret` as UTF-8 text; the raw 32-byte digest. */
export function computeHmacSha256(rawBody: Uint8Array, secret: string): Buffer {
  return createHmac("sha256", Buffer.from(secret, "utf8")).update(rawBody).digest();
}

/**
 * Checks a `base64(HMAC-SHA256(secret, raw body))` signature header in constant time, the scheme
 * QuickBooks and Xero use. Throws `WebhookVerificationError` when the header is missing, empty, not
 * canonical base64 or wrong; the message says which (missing, or present but not matching) and names
 * `secretOption`. The header is decoded and compared as 32 raw bytes, so padding or
 * transport whitespace around the value cannot change the outcome.
 *
 * @example
 * ```ts
 * verify: (request) => verifyHmacSignature(request, { header: "x-acme-signature", secret: options.webhookSecret }),
 * ```
 */
export function verifyHmacSignature(request: ProviderRequest, options: HmacSignatureOptions): void {
  const provider = options.provider ?? "the provider";
  const header = request.headers[options.header];
  if (typeof header !== "string" || header.trim() === "") {
    throw new WebhookVerificationError(
      `signature header ${options.header} is missing: ${provider} signs every webhook, so this request did not come from ${provider} or a proxy dropped the header`,
    );
  }
  const expected = computeHmacSha256(request.rawBody, options.secret);
  const received = decodeBase64Strict(header.trim());
  // Equal lengths are required by timingSafeEqual; a wrong length is a wrong signature.
  if (received === undefined || received.length !== expected.length || !timingSafeEqual(received, expected)) {
    const secretOption = options.secretOption === undefined ? "the signing secret" : `\`${options.secretOption}\``;
    throw new WebhookVerificationError(
      `signature header ${options.header} is present but does not match the body: check ${secretOption} (sandbox and production apps have different keys) and that the raw body reaches the inbox unchanged`,
    );
  }
}

/** Base64 decode that refuses anything that is not canonical base64 (Buffer.from silently skips junk). */
function decodeBase64Strict(value: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return undefined;
  const decoded = Buffer.from(value, "base64");
  return decoded.toString("base64") === value ? decoded : undefined;
}
