/**
 * QuickBooks' monthly CorePlus metering: on the Builder tier of the Intuit App Partner Program a
 * workspace has 500,000 CorePlus (data-out: reads and queries) calls a month, "API calls beyond that
 * limit will be throttled and an HTTP 429 error will be returned" until the next month (Intuit's
 * "API call limits and throttles" page). Waiting 60 seconds and trying again would only spend the
 * wait: the right answer is to park the app's events until the month turns.
 */

/**
 * Intuit publishes no body for the monthly 429, so it is recognised by what it says (a quota, the
 * month, CorePlus) or by a Retry-After beyond an hour, which no per-minute throttle needs.
 */
export function isMonthlyQuota(text: string, retryAfterMs: number | undefined): boolean {
  if (/\bquota\b|\bmonthly\b|per[ -]month|\bCorePlus\b/i.test(text)) return true;
  return retryAfterMs !== undefined && retryAfterMs > 3_600_000;
}

/** The default reset: the first instant of the next calendar month, UTC. */
export function startOfNextMonthUtc(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}
