import { z } from "zod";
import type { ProviderLimits } from "../../src/index.ts";
import { validateOptions } from "../../src/adapter-kit/index.ts";
import { mergeProviderLimits, providerLimitsOverrideSchema } from "../../src/provider-kit/index.ts";
import { QUICKBOOKS_BATCH_MAX_ITEMS, QUICKBOOKS_DEFAULT_LIMITS } from "./limits.ts";
import { startOfNextMonthUtc } from "./monthly-quota.ts";

const fetchSchema = z.custom<typeof globalThis.fetch>((value) => typeof value === "function", {
  error: "must be a fetch-compatible function",
});

export const quickBooksOptionsSchema = z
  .strictObject({
    /** Verifier Token from the app's Webhooks page (not the OAuth client secret). */
    verifierToken: z.string().min(1, { error: "must be a non-empty string" }),
    /** Returns a current OAuth access token for a realm; called again once after a 401. */
    getAccessToken: z.custom<(realmId: string) => Promise<string> | string>((value) => typeof value === "function", {
      error: "must be a function (realmId) => Promise<string>",
    }),
    /** Accounting API host. @default "https://quickbooks.api.intuit.com" (sandbox: https://sandbox-quickbooks.api.intuit.com) */
    baseUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).default("https://quickbooks.api.intuit.com"),
    /** @default globalThis.fetch */
    fetch: fetchSchema.optional(),
    /** `minorversion` query parameter. @default 75 (the floor since 2025-08-01) */
    minorVersion: z.number().int().positive().default(75),
    /**
     * Items in one batch request; Intuit's limits page says at most 30 (other pages 10 or 25).
     * Together with `idsPerQuery` it is capped by the 1,000 objects a batch response returns.
     * @default 30
     */
    maxItemsPerBatch: z
      .number()
      .int()
      .min(1)
      .max(QUICKBOOKS_BATCH_MAX_ITEMS, { error: `must be at most ${QUICKBOOKS_BATCH_MAX_ITEMS} (Intuit's batch item limit)` })
      .default(QUICKBOOKS_BATCH_MAX_ITEMS),
    /** Rows one query returns at most ("maximum number of objects ... in a response is 1000"). @default 1000 */
    maxResultsPerQuery: z.number().int().min(1).max(1000).default(1000),
    /**
     * Ids in one query's `IN (...)` list. Intuit publishes no maximum for it, so the
     * default stays at the commonly cited default page size; the query also says `maxresults`.
     * @default 100
     */
    idsPerQuery: z.number().int().min(1).max(1000).default(100),
    /** Partial override of the published limits. */
    limits: providerLimitsOverrideSchema.optional(),
    /**
     * When a monthly CorePlus quota that ran out resets, seen from `now`. Intuit meters it per
     * workspace and calendar month. @default the first instant of the next month, UTC
     */
    monthlyQuotaResetAt: z
      .custom<(now: Date) => Date>((value) => typeof value === "function", { error: "must be a function (now: Date) => Date" })
      .default(() => startOfNextMonthUtc),
    /** Timeout of one HTTP call (Intuit cuts requests at 120 s). @default 30_000 */
    requestTimeoutMs: z.number().int().positive().default(30_000),
  })
  .refine((options) => options.idsPerQuery <= options.maxResultsPerQuery, {
    error: "idsPerQuery must not exceed maxResultsPerQuery",
    path: ["idsPerQuery"],
  });

/** Options of `quickbooks()`. */
export type QuickBooksOptions = z.input<typeof quickBooksOptionsSchema>;

/** Options after defaults. */
export type ResolvedQuickBooksOptions = Omit<z.output<typeof quickBooksOptionsSchema>, "limits" | "fetch"> & {
  readonly fetch: typeof globalThis.fetch;
  readonly limits: ProviderLimits;
};

/** Validates once, at construction, and names every bad option. */
export function resolveQuickBooksOptions(input: unknown): ResolvedQuickBooksOptions {
  const { limits, fetch, ...rest } = validateOptions(quickBooksOptionsSchema, input, "quickbooks() options");
  return {
    ...rest,
    baseUrl: rest.baseUrl.replace(/\/+$/, ""),
    fetch: fetch ?? ((...args: Parameters<typeof globalThis.fetch>) => globalThis.fetch(...args)),
    limits: mergeProviderLimits(QUICKBOOKS_DEFAULT_LIMITS, limits),
  };
}
