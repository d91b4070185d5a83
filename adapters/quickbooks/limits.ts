import type { ProviderLimits } from "../../src/index.ts";

/**
 * QuickBooks Online limits as Intuit publishes them (PROVIDERS.md §1.8, "API call limits and
 * throttles"), per realm and app. Every call this adapter makes is a batch call, so the batch
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

/** A partial override of the declared limits; `windows` lists replace the defaults whole. */
export type { ProviderLimitsOverride } from "../../src/index.ts";
