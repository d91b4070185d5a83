import type { ProviderLimits, RateWindow } from "../../src/index.ts";

/** The published daily call budget per tenant (Core tier and above; Starter is 1,000). */
export const XERO_DEFAULT_DAILY_LIMIT = 5_000;

/**
 * Xero's limits as published (developer.xero.com/faq/limits; PROVIDERS.md §2.6). Window names are
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
export interface XeroLimitsOverride {
  tenant?: { concurrency?: number; windows?: readonly RateWindow[] };
  app?: { windows: readonly RateWindow[] } | null;
  defaultRetryAfterMs?: number;
}

/** Applies an override to defaults (`app: null` removes the app limits). */
export function mergeXeroLimits(defaults: ProviderLimits, override: XeroLimitsOverride | undefined): ProviderLimits {
  if (override === undefined) return defaults;
  const app = override.app === null ? undefined : (override.app ?? defaults.app);
  return {
    tenant: {
      concurrency: override.tenant?.concurrency ?? defaults.tenant.concurrency,
      windows: override.tenant?.windows ?? defaults.tenant.windows,
    },
    ...(app === undefined ? {} : { app }),
    defaultRetryAfterMs: override.defaultRetryAfterMs ?? defaults.defaultRetryAfterMs,
  };
}
