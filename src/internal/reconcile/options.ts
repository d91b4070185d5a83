// The `reconcile` option of an integration: its zod schema and defaults.
import { z } from "zod";

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `"1h"`, `"30m"`, `"90s"`, `"1d"`, `"500ms"`, or a number of ms. */
const durationSchema = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^\d+(ms|s|m|h|d)$/, { error: 'a duration is a number of ms or text like "30m", "1h", "1d"' })
    .transform((text) => {
      const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(text)!;
      return Number(amount) * UNITS[unit!]!;
    })
    .pipe(z.number().int().positive()),
]);

export const reconcileOptionsSchema = z.strictObject({
  /** Entity types to reconcile, as the provider names them (QuickBooks `Invoice`, `Customer`; Xero `INVOICE`, `CONTACT`). */
  entityTypes: z.array(z.string().min(1)).min(1),
  /** How often each tenant is reconciled (`"1h"`, `"1d"` or ms); without it, only `inbox.reconcile()` and the admin API start a run. */
  every: durationSchema.optional(),
  /** Share of each per-tenant rate window reconciliation may use; live webhooks keep the rest. @default 0.25 */
  budgetShare: z.number().gt(0).max(1).default(0.25),
  /** The tenants to reconcile; by default those reconciled before and those whose events this instance processed. */
  tenants: z
    .custom<() => readonly string[] | Promise<readonly string[]>>((value) => typeof value === "function", {
      error: "tenants must be a function returning tenant ids",
    })
    .optional(),
  /** How far back a tenant's first run looks. @default 86_400_000 (1 day) */
  firstLookbackMs: z.number().int().positive().default(86_400_000),
  /** Each run starts this long before the watermark, so a change the provider dated late is not missed. @default 60_000 */
  overlapMs: z.number().int().min(0).default(60_000),
  /** How long a run holds the tenant's lease (other instances skip the tenant meanwhile). @default 600_000 */
  leaseMs: z.number().int().positive().default(600_000),
});

export type ReconcileOptions = z.input<typeof reconcileOptionsSchema>;
export type ResolvedReconcileOptions = z.output<typeof reconcileOptionsSchema>;
