import type { ProviderLimits } from "../../src/index.ts";
import type { ProviderLimitsOverride } from "../../src/provider-kit/index.ts";

/** The published daily call budget per tenant (Core tier and above; Starter is 1,000). */
export const XERO_DEFAULT_DAILY_LIMIT = 5_000;

/**
 * Xero's limits as published (developer.xero.com/faq/limits). Window names are
 * the ones the adapter reports from `X-MinLimit-Remaining` (`minute`), `X-DayLimit-Remaining`
 * (`day`) and `X-AppMinLimit-Remaining` (`app-minute`).
 */
export function xeroDefaultLimits(dailyLimit: number): ProviderLimits {
  return {
    tenant: {
      /** "5 calls in progress" per app + organisation. */
      concurrency: 5,
      windows: [
        { name: "minute", limit: 60, intervalMs: 60_000 },
        { name: "day", limit: dailyLimit, intervalMs: 86_400_000 },
      ],
    },
    /** "10,000 / minute" per app across all tenants. */
    app: { windows: [{ name: "app-minute", limit: 10_000, intervalMs: 60_000 }] },
    /** Xero sends Retry-After on 429; this is the wait when it is missing. */
    defaultRetryAfterMs: 60_000,
  };
}

/** A partial override of the declared limits; `windows` lists replace the defaults whole. */
export type XeroLimitsOverride = ProviderLimitsOverride;
