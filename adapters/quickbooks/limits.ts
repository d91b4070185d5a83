import type { ProviderLimits } from "../../src/index.ts";

/**
 * QuickBooks Online limits as Intuit publishes them ("API call limits and throttles",
 * developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles), per realm and app. Every call this adapter makes is a batch call, so the batch
 * budget (40/min) is the one that binds; the others are declared so a host that lowers it still
 * stays inside them.
 */
export const QUICKBOOKS_DEFAULT_LIMITS: ProviderLimits = {
  tenant: {
    /** "10 concurrent requests per realmId + app" (blog 2016-08-08). */
    concurrency: 10,
    windows: [
      /** "10 / s per realmId and app". */
      { name: "second", limit: 10, intervalMs: 1_000 },
      /** "500 / min / realmId". */
      { name: "minute", limit: 500, intervalMs: 60_000 },
      /** "maximum number requests to the batch endpoint per minute per realmID is 40". */
      { name: "batch-minute", limit: 40, intervalMs: 60_000 },
    ],
  },
  /** "If you see this, wait 60 seconds before retrying the request." */
  defaultRetryAfterMs: 60_000,
};

/**
 * Most objects one batch response returns. Intuit's Batch reference, business rules: "The maximum
 * number of objects that can be returned in a response is 1000." Ids beyond it in one call would
 * come back absent, so one `fetchResources` call never asks for more than this many ids, whatever
 * `maxItemsPerBatch` × `idsPerQuery` allows (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/batch).
 */
export const QUICKBOOKS_BATCH_MAX_RESPONSE_OBJECTS = 1000;

/**
 * Most items (payloads) one batch request may hold. Intuit's limits page: "Recommended maximum
 * number of payloads in a single batch request is 30"; the Batch reference: "The maximum number of
 * payloads in a single BatchItemRequest is 30"
 * (https://developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles).
 */
export const QUICKBOOKS_BATCH_MAX_ITEMS = 30;

/** A partial override of the declared limits; `windows` lists replace the defaults whole. */
export type { ProviderLimitsOverride } from "../../src/provider-kit/index.ts";
