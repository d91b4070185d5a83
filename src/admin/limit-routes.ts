/** The rate limiter's state per provider and tenant, for the dashboard's "Rate limits" page. */
import type { Route, RouteContext } from "./context.ts";
import { json } from "./http.ts";

/**
 * Every budget (the store's shared ones when it has them, else this process's): paused or not (until when, and the provider answer that paused
 * it), and the calls used in each window. A tenant-restricted caller sees only its tenants' budgets
 * (an app-wide budget sums every tenant's calls, so it is left out for them).
 */
async function listLimits({ inbox, access }: RouteContext): Promise<Response> {
  const all = inbox.readRateLimits ? await inbox.readRateLimits() : inbox.rateLimits ? inbox.rateLimits() : [];
  const allowed = access.tenants;
  const items = all
    .filter((item) => allowed === null || (item.tenantId !== null && allowed.includes(item.tenantId)))
    .sort(
      (a, b) =>
        Number(b.pausedUntil !== null) - Number(a.pausedUntil !== null) ||
        a.provider.localeCompare(b.provider) ||
        (a.tenantId ?? "").localeCompare(b.tenantId ?? ""),
    );
  return json(200, { items });
}

/** Rate-limit routes, relative to `api/`. */
export const limitRoutes: readonly Route[] = [
  {
    method: "GET",
    pattern: "limits",
    handler: listLimits,
    summary: "The rate limiter's state per provider and tenant (shared by every instance when the store shares the budget): pauses and calls used per window.",
    response:
      "`{ items }`, paused budgets first: each `{ provider, tenantId, pausedUntil, pauseReason, windows }`; `tenantId` is `null` for an app-wide budget, `pauseReason` is `{ status, limit, message, at }` (the provider's answer that paused it), each window is `{ name, limit, intervalMs, used, remaining }` (`day` is the daily budget), and `shared` is `{ readAt, inFlight }` when the budget is the store's, shared by every instance (absent for a process's own).",
  },
];
