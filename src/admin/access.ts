import { z } from "zod";
import { asList } from "../filters.ts";
import { AdminHttpError } from "./http.ts";
import type { DeliveryFilter, DeliverySummary, EventFilter, EventRecord } from "../types.ts";

/**
 * What `authorize` may answer:
 * - `false`: refused (every route, the page and its assets included);
 * - `true`: full access;
 * - `{ tenants }`: read and retry only the events and deliveries of these provider tenants, no settings changes;
 * - `{ readOnly: true }` (optionally with `tenants`): lists and views only; retry, re-process and
 *   settings changes are refused with 403 and the dashboard hides them;
 * - `actor` (alone it means full access): who the caller is, recorded with the settings they change
 *   and shown in the dashboard's Settings view (`httpBasic` sets it to the user name).
 */
export type AdminAccessDecision = boolean | { readonly tenants?: readonly string[]; readonly readOnly?: boolean; readonly actor?: string };

/**
 * The host's gate in front of the admin surface, called on every request with the Fetch `Request`
 * (cookies, headers, URL). There is no default: an admin without one refuses to be created.
 */
export type AdminAuthorize = (request: Request) => AdminAccessDecision | Promise<AdminAccessDecision>;

/** A caller's resolved access: `tenants === null` means every tenant. */
export interface AdminAccess {
  readonly tenants: readonly string[] | null;
  /** Lists and views only: no retry, re-process or settings changes. */
  readonly readOnly?: boolean;
  /** Who the caller is (the decision's `actor`), recorded with settings changes; `null` when unnamed. */
  readonly actor?: string | null;
}

const decisionSchema = z.union([
  z.boolean(),
  z
    .strictObject({ tenants: z.array(z.string()).optional(), readOnly: z.boolean().optional(), actor: z.string().min(1).max(200).optional() })
    .refine((value) => value.tenants !== undefined || value.readOnly !== undefined || value.actor !== undefined),
]);

/**
 * Reads the hook's answer. Anything that is not a documented answer counts as a refusal, so a hook
 * that returns `undefined` by mistake closes the admin instead of opening it.
 */
export function resolveAccess(decision: unknown): AdminAccess | null {
  const parsed = decisionSchema.safeParse(decision);
  if (!parsed.success || parsed.data === false) return null;
  if (parsed.data === true) return { tenants: null, readOnly: false, actor: null };
  const { tenants, readOnly = false, actor = null } = parsed.data;
  return { tenants: tenants === undefined ? null : [...new Set(tenants)], readOnly, actor };
}

/** Whether a caller may change settings (tenant-restricted and read-only callers may not). */
export function isUnrestricted(access: AdminAccess): boolean {
  return access.tenants === null && access.readOnly !== true;
}

/** Refuses a change (retry, re-process, settings) to a read-only caller, before anything else is looked at. */
export function requireWritable(access: AdminAccess): void {
  if (access.readOnly === true)
    throw new AdminHttpError(403, "READ_ONLY", "this caller has read-only access: lists and views only, no retry, re-process or settings changes");
}

/**
 * Narrows a filter's tenants to the caller's. Returns `null` when nothing can match (the caller asked
 * only for tenants they may not see, or may see none), so callers answer an empty result without
 * sending an empty `IN ()` list to a store.
 */
export function scopeTenants(requested: string | readonly string[] | undefined, access: AdminAccess): readonly string[] | undefined | null {
  const wanted = asList(requested);
  if (access.tenants === null) return wanted;
  const allowed = access.tenants;
  const tenants = wanted ? wanted.filter((tenant) => allowed.includes(tenant)) : allowed;
  return tenants.length === 0 ? null : tenants;
}

/** An event filter restricted to the caller's tenants; `null` when nothing can match. */
export function scopeEventFilter<F extends EventFilter>(filter: F, access: AdminAccess): F | null {
  const tenantId = scopeTenants(filter.tenantId, access);
  if (tenantId === null) return null;
  return tenantId === undefined ? filter : { ...filter, tenantId };
}

/** A delivery filter restricted to the caller's tenants; `null` when nothing can match. */
export function scopeDeliveryFilter<F extends DeliveryFilter>(filter: F, access: AdminAccess): F | null {
  const tenantId = scopeTenants(filter.tenantId, access);
  if (tenantId === null) return null;
  return tenantId === undefined ? filter : { ...filter, tenantId };
}

export function canSeeEvent(event: Pick<EventRecord, "tenantId">, access: AdminAccess): boolean {
  return access.tenants === null || access.tenants.includes(event.tenantId);
}

/** A delivery is visible when it names one of the caller's tenants (rejected and unparseable ones name none). */
export function canSeeDelivery(delivery: Pick<DeliverySummary, "tenantIds">, access: AdminAccess): boolean {
  const allowed = access.tenants;
  return allowed === null || delivery.tenantIds.some((tenant) => allowed.includes(tenant));
}
