/**
 * @module webhook-inbox/xero
 * Xero provider: verifies `x-xero-signature`, answers the intent-to-receive handshake, parses
 * events, and downloads changed records with `IDs=` (or one by one) within Xero's limits.
 *
 * @example
 * ```ts
 * import { xero } from "webhook-inbox/xero";
 * const provider = xero({
 *   webhookKey: process.env.XERO_WEBHOOK_KEY!,
 *   getAccessToken: (tenantId) => tokens.forTenant(tenantId),
 * });
 * ```
 */
import type { ProviderAdapter } from "../../src/index.ts";
import { emptyAcknowledgement } from "../../src/provider-kit/index.ts";
import { fetchXeroResource, fetchXeroResources, xeroMaxBatchSize } from "./fetch-resources.ts";
import { listXeroChanges, xeroReconciles } from "./modified-since.ts";
import { resolveXeroOptions, type XeroOptions } from "./options.ts";
import { parseXeroDelivery } from "./parse.ts";
import { verifyXeroSignature } from "./signature.ts";
import { verifyAndParseXero } from "./verify-and-parse.ts";

export type { XeroOptions } from "./options.ts";
export type { XeroLimitsOverride } from "./limits.ts";
export { XERO_DEFAULT_DAILY_LIMIT, xeroDefaultLimits } from "./limits.ts";
export { XERO_ENDPOINTS, type XeroEndpoint } from "./categories.ts";
export { XERO_SIGNATURE_HEADER } from "./signature.ts";
export { verifyAndParseXero, type XeroVerifyAndParseInput } from "./verify-and-parse.ts";
export { XERO_PAGE_SIZE } from "./modified-since.ts";

/** Xero posts JSON. */
export const XERO_CONTENT_TYPES = ["application/json"] as const;

/**
 * Creates the Xero provider. Options are validated now; a bad one throws `WebhookConfigError`
 * naming it.
 */
export function xero(options: XeroOptions): ProviderAdapter {
  const resolved = resolveXeroOptions(options);
  return {
    name: "xero",
    contentTypes: XERO_CONTENT_TYPES,
    limits: resolved.limits,
    // "respond with status: 200 Ok ... no body in the response, no cookies in the response headers", for
    // every request, events and intent to receive alike (Xero's webhooks docs, "Configuring your server");
    // anything else is retried for 24 hours, then the subscription is disabled.
    acknowledge: (input) => emptyAcknowledgement(input.status ?? 200),
    // SUBSCRIPTION events (Xero's webhook OpenAPI) name the app's subscription, not an Accounting record.
    downloads: (entityType) => entityType.toUpperCase() !== "SUBSCRIPTION",
    maxBatchSize: (entityType) => xeroMaxBatchSize(resolved, entityType),
    verify: (request) => verifyXeroSignature(request, resolved.webhookKey),
    parse: (request) => parseXeroDelivery(request),
    fetchResources: (request) => fetchXeroResources(resolved, request),
    fetchResource: (request) => fetchXeroResource(resolved, request),
    // Reconciliation: If-Modified-Since pages of the list endpoints (README › Reconciliation).
    listChanges: (request) => listXeroChanges(resolved, request),
    reconciles: xeroReconciles,
  };
}

/**
 * For a receiver of your own: verifies and parses one Xero request (the intent-to-receive handshake
 * included), or throws a typed error (see `verifyAndParseXero`).
 */
xero.verifyAndParse = verifyAndParseXero;
