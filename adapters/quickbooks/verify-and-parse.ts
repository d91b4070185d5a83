// QuickBooks verify-and-parse, for hosts that write their own receiver: a signed body in, its events out, or a typed error.
import type { ParsedDelivery } from "../../src/index.ts";
import { type VerifyAndParseInput, verifyAndParseWith } from "../../src/provider-kit/index.ts";
import { parseQuickBooksDelivery } from "./parse.ts";
import { verifyQuickBooksSignature } from "./signature.ts";

export interface QuickBooksVerifyAndParseInput extends VerifyAndParseInput {
  /** The Verifier Token from the app's Webhooks page (sandbox and production apps have different ones). */
  readonly verifierToken: string;
}

/**
 * Verifies `intuit-signature` on the exact body bytes and parses a classic or CloudEvents body into
 * per-entity events (`entityType` as QuickBooks names it: `Invoice`, `Customer`, ...). Throws
 * `WebhookVerificationError` (`SIGNATURE_INVALID`: answer 401) for a missing or wrong signature,
 * `WebhookPayloadError` (`PAYLOAD_INVALID`) for an unreadable body, `WebhookConfigError` for bad input
 * (a parsed object as `body`, no `verifierToken`). Also `quickbooks.verifyAndParse`.
 *
 * @example
 * ```ts
 * const { events } = verifyAndParseQuickBooks({ body: req.body, headers: req.headers, verifierToken: process.env.QBO_VERIFIER_TOKEN! });
 * ```
 */
export function verifyAndParseQuickBooks(input: QuickBooksVerifyAndParseInput): ParsedDelivery {
  return verifyAndParseWith(input, {
    label: "quickbooks.verifyAndParse() input",
    secretOption: "verifierToken",
    verify: verifyQuickBooksSignature,
    parse: parseQuickBooksDelivery,
  });
}
