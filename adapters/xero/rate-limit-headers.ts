import { RateLimitedError, type RateLimitObservation } from "../../src/index.ts";
import { parseRetryAfterMs } from "../../src/provider-kit/index.ts";

/** Remaining-budget headers on every Xero response, and the window each one reports. */
const REMAINING_HEADERS: readonly [header: string, scope: "tenant" | "app", window: string][] = [
  ["x-minlimit-remaining", "tenant", "minute"],
  ["x-daylimit-remaining", "tenant", "day"],
  ["x-appminlimit-remaining", "app", "app-minute"],
];

/** Reports each remaining-budget header present on a response (absent on tenantless calls). */
export function observeRemaining(headers: Headers, observe: (observation: RateLimitObservation) => void): void {
  for (const [header, scope, window] of REMAINING_HEADERS) {
    const value = headers.get(header)?.trim();
    if (value === undefined || !/^\d+$/.test(value)) continue;
    observe({ scope, window, remaining: Number(value) });
  }
}

/**
 * The limit named by `X-Rate-Limit-Problem`. Values seen: `minute`, `day` (lowercase) and the
 * legacy `Daily`/`Minute`; values for the app and concurrent limits are unverified, so the match
 * is case-insensitive and by substring (Xero staff in XeroAPI/xero-node#634; xero-python#74).
 */
export function rateLimitProblem(headers: Headers): { scope: "tenant" | "app"; limit: string | undefined } {
  const problem = headers.get("x-rate-limit-problem")?.trim().toLowerCase() ?? "";
  if (problem.includes("app")) return { scope: "app", limit: "app-minute" };
  if (problem.includes("day") || problem.includes("daily")) return { scope: "tenant", limit: "day" };
  if (problem.includes("concurren")) return { scope: "tenant", limit: "concurrent" };
  if (problem.includes("min")) return { scope: "tenant", limit: "minute" };
  return { scope: "tenant", limit: problem === "" ? undefined : problem };
}

/**
 * A Xero 429 as the error the core turns into a `rate_limited` attempt. A day-limit Retry-After can
 * be many hours: the core parks the tenant (or, for the app-minute limit, every tenant) that long.
 */
export function xeroThrottled(status: number, headers: Headers, fallbackMs: number): RateLimitedError {
  const { scope, limit } = rateLimitProblem(headers);
  return new RateLimitedError(`Xero rate limit reached (HTTP ${status}${limit === undefined ? "" : `, ${limit}`})`, {
    retryAfterMs: parseRetryAfterMs(headers, fallbackMs),
    scope,
    limit,
  });
}
