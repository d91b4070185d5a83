import { z } from "zod";
import type { ProviderLimits, RateWindow } from "../contracts/provider-adapter.ts";

/** A partial override of a provider's declared limits; `windows` lists replace the defaults whole. */
export interface ProviderLimitsOverride {
  tenant?: { concurrency?: number | undefined; windows?: readonly RateWindow[] | undefined } | undefined;
  /** `null` removes the app-wide limits. */
  app?: { windows: readonly RateWindow[] } | null | undefined;
  defaultRetryAfterMs?: number | undefined;
}

const rateWindowSchema = z.strictObject({
  name: z.string().min(1),
  limit: z.number().int().positive(),
  intervalMs: z.number().int().positive(),
});

/**
 * Validates a `limits` option of the `ProviderLimitsOverride` shape, for a provider's options schema:
 * `limits: providerLimitsOverrideSchema.optional()`. Windows lists may be readonly.
 */
export const providerLimitsOverrideSchema = z.strictObject({
  tenant: z
    .strictObject({
      concurrency: z.number().int().positive().optional(),
      windows: z.array(rateWindowSchema).readonly().optional(),
    })
    .optional(),
  app: z.union([z.strictObject({ windows: z.array(rateWindowSchema).readonly() }), z.null()]).optional(),
  defaultRetryAfterMs: z.number().int().min(0).optional(),
});

/**
 * Applies a host's override to a provider's published limits. Each field given replaces the default
 * (a `windows` list whole, not merged by name); `app: null` removes the app limits; no override
 * returns `defaults` itself.
 */
export function mergeProviderLimits(defaults: ProviderLimits, override: ProviderLimitsOverride | undefined): ProviderLimits {
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
