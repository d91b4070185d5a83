// Xero verify-and-parse, for hosts that write their own receiver: a signed body in, its events (or the handshake) out, or a typed error.
import type { ParsedDelivery } from "../../src/index.ts";
import { type VerifyAndParseInput, verifyAndParseWith } from "../../src/provider-kit/index.ts";
import { parseXeroDelivery } from "./parse.ts";
import { verifyXeroSignature } from "./signature.ts";

export interface XeroVerifyAndParseInput extends VerifyAndParseInput {
  /** The webhook key from the app's Webhooks page in Xero's developer portal, used as text (never base64-decoded). */
  readonly webhookKey: string;
}

/**
 * Verifies `x-xero-signature` on the exact body bytes and parses the body into per-entity events
 * (`entityType` as Xero's `eventCategory`: `CONTACT`, `INVOICE`, `CREDITNOTE`, ...). An intent-to-receive
 * probe comes back with `handshake: true` and no events. Throws `WebhookVerificationError`
 * (`SIGNATURE_INVALID`) for a missing or wrong signature, `WebhookPayloadError` (`PAYLOAD_INVALID`) for
 * an unreadable body, `WebhookConfigError` for bad input. Xero expects 200 with an empty body for a
 * verified request and 401 with an empty body otherwise, the handshake included. Also `xero.verifyAndParse`.
 */
export function verifyAndParseXero(input: XeroVerifyAndParseInput): ParsedDelivery {
  return verifyAndParseWith(input, {
    label: "xero.verifyAndParse() input",
    secretOption: "webhookKey",
    verify: verifyXeroSignature,
    parse: parseXeroDelivery,
  });
}
