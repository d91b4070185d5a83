/**
 * @module webhook-inbox/quickbooks
 * QuickBooks Online provider: verifies `intuit-signature`, parses classic and CloudEvents webhooks,
 * downloads changed entities through the batch endpoint within Intuit's published limits, and lists
 * a realm's changes for reconciliation (ChangeDataCapture, or a query past its 30-day look-back).
 *
 * @example
 * ```ts
 * import { quickbooks } from "webhook-inbox/quickbooks";
 * const provider = quickbooks({
 *   verifierToken: process.env.QBO_VERIFIER_TOKEN!,
 *   getAccessToken: (realmId) => tokens.forRealm(realmId),
 * });
 * ```
 */
import type { ProviderAdapter } from "../../src/index.ts";
import { jsonAcknowledgement } from "../../src/provider-kit/index.ts";
import { fetchQuickBooksResources, quickBooksMaxBatchSize } from "./batch-fetch.ts";
import { listQuickBooksChanges } from "./cdc.ts";
import { resolveQuickBooksOptions, type QuickBooksOptions } from "./options.ts";
import { parseQuickBooksDelivery } from "./parse.ts";
import { readQuickBooksResource } from "./read-one.ts";
import { verifyQuickBooksSignature } from "./signature.ts";
import { verifyAndParseQuickBooks } from "./verify-and-parse.ts";

export type { QuickBooksOptions } from "./options.ts";
export { QUICKBOOKS_BATCH_MAX_ITEMS, QUICKBOOKS_BATCH_MAX_RESPONSE_OBJECTS, QUICKBOOKS_DEFAULT_LIMITS } from "./limits.ts";
export type { ProviderLimitsOverride } from "./limits.ts";
export { QUICKBOOKS_SIGNATURE_HEADER } from "./signature.ts";
export { verifyAndParseQuickBooks, type QuickBooksVerifyAndParseInput } from "./verify-and-parse.ts";
export { QUICKBOOKS_CDC_LOOKBACK_MS, QUICKBOOKS_CDC_MAX_OBJECTS, QUICKBOOKS_QUERY_PAGE } from "./cdc.ts";

/**
 * Content types QuickBooks sends: classic JSON, CloudEvents as `application/cloudevents+json`
 * (Intuit's CloudEvents migration guide), and `application/cloudevents-batch+json`, the CloudEvents
 * spec's media type for an array of events (CloudEvents JSON format, "Batch Format").
 */
export const QUICKBOOKS_CONTENT_TYPES = ["application/json", "application/cloudevents+json", "application/cloudevents-batch+json"] as const;

/**
 * Creates the QuickBooks Online provider. Options are validated now; a bad one throws
 * `WebhookConfigError` naming it.
 */
export function quickbooks(options: QuickBooksOptions): ProviderAdapter {
  const resolved = resolveQuickBooksOptions(options);
  const batchSize = quickBooksMaxBatchSize(resolved);
  return {
    name: "quickbooks",
    contentTypes: QUICKBOOKS_CONTENT_TYPES,
    limits: resolved.limits,
    // Intuit counts only "an HTTP 200" within 3 seconds as delivered (webhooks best practices page).
    acknowledge: (input) => jsonAcknowledgement(input, 200),
    maxBatchSize: () => batchSize,
    verify: (request) => verifyQuickBooksSignature(request, resolved.verifierToken),
    parse: (request) => parseQuickBooksDelivery(request),
    fetchResources: (request) => fetchQuickBooksResources(resolved, request),
    fetchResource: (request) => readQuickBooksResource(resolved, request),
    // Reconciliation: ChangeDataCapture, or the query path past its 30 days (README › Reconciliation).
    listChanges: (request) => listQuickBooksChanges(resolved, request),
  };
}

/**
 * For a receiver of your own: verifies and parses one QuickBooks request, or throws a typed error
 * (see `verifyAndParseQuickBooks`).
 *
 * @example
 * ```ts
 * const { events } = quickbooks.verifyAndParse({ body: rawBody, headers: req.headers, verifierToken });
 * ```
 */
quickbooks.verifyAndParse = verifyAndParseQuickBooks;
