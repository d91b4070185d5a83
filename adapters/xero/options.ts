import { z } from "zod";
import type { ProviderLimits } from "../../src/index.ts";
import { validateOptions } from "../../src/adapter-kit/index.ts";
import { mergeProviderLimits, providerLimitsOverrideSchema } from "../../src/provider-kit/index.ts";
import { XERO_DEFAULT_DAILY_LIMIT, xeroDefaultLimits } from "./limits.ts";

export const xeroOptionsSchema = z.strictObject({
  /** Webhook key from the app's Webhooks page, used as plain text (never base64-decoded). */
  webhookKey: z.string().min(1, { error: "must be a non-empty string" }),
  /** Returns a current OAuth access token for a tenant (organisation); called again once after a 401. */
  getAccessToken: z.custom<(tenantId: string) => Promise<string> | string>((value) => typeof value === "function", {
    error: "must be a function (tenantId) => Promise<string>",
  }),
  /** Accounting API base. @default "https://api.xero.com/api.xro/2.0" */
  baseUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).default("https://api.xero.com/api.xro/2.0"),
  /** @default globalThis.fetch */
  fetch: z.custom<typeof globalThis.fetch>((value) => typeof value === "function", { error: "must be a fetch-compatible function" }).optional(),
  /**
   * Ids in one `GET /Invoices?IDs=` / `GET /Contacts?IDs=`. Xero answers 404 above 52 and staff say
   * "keep your searches below 50 IDs" (Xero staff in XeroAPI/Xero-Net#389). @default 50
   */
  idsPerRequest: z.number().int().min(1).max(52, { error: "must be at most 52 (Xero answers 404 above 52 ids)" }).default(50),
  /** Calls per tenant per day: 5,000 (Core and above) or 1,000 (Starter tier). @default 5000 */
  dailyLimit: z.number().int().positive().default(XERO_DEFAULT_DAILY_LIMIT),
  /** Partial override of the published limits. */
  limits: providerLimitsOverrideSchema.optional(),
  /** Timeout of one HTTP call. @default 30_000 */
  requestTimeoutMs: z.number().int().positive().default(30_000),
});

/** Options of `xero()`. */
export type XeroOptions = z.input<typeof xeroOptionsSchema>;

/** Options after defaults. */
export type ResolvedXeroOptions = Omit<z.output<typeof xeroOptionsSchema>, "limits" | "fetch"> & {
  readonly fetch: typeof globalThis.fetch;
  readonly limits: ProviderLimits;
};

/** Validates once, at construction, and names every bad option. */
export function resolveXeroOptions(input: unknown): ResolvedXeroOptions {
  const { limits, fetch, ...rest } = validateOptions(xeroOptionsSchema, input, "xero() options");
  return {
    ...rest,
    baseUrl: rest.baseUrl.replace(/\/+$/, ""),
    fetch: fetch ?? ((...args: Parameters<typeof globalThis.fetch>) => globalThis.fetch(...args)),
    limits: mergeProviderLimits(xeroDefaultLimits(rest.dailyLimit), limits),
  };
}
