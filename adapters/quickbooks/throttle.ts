import { RateLimitedError } from "../../src/index.ts";
import { parseRetryAfterMs } from "../../src/provider-kit/index.ts";
import { isMonthlyQuota } from "./monthly-quota.ts";

/**
 * Intuit's throttle: HTTP 429, or fault code 3001 / `ThrottleExceeded`. The body has come back as
 * XML even to a JSON request, and older throttles used HTTP 403 (intuit/QuickBooks-V3-PHP-SDK#54, routablehq/python-quickbooks#43), so every
 * non-success body is checked in both encodings.
 */
export function isThrottleBody(text: string): boolean {
  if (/ThrottleExceeded/i.test(text) || /errorCode=0*3001\b/i.test(text)) return true;
  if (/<Error\b[^>]*\bcode\s*=\s*["']0*3001["']/i.test(text)) return true;
  const json = tryJson(text);
  return json !== undefined && faultErrors(json).some(isThrottleFaultError);
}

/** True for one entry of a JSON `Fault.Error[]` that says "throttled". */
export function isThrottleFaultError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  for (const [key, value] of Object.entries(error)) {
    const name = key.toLowerCase();
    if (name === "code" && /^0*3001$/.test(String(value).trim())) return true;
    if ((name === "message" || name === "detail") && typeof value === "string" && /ThrottleExceeded/i.test(value)) return true;
  }
  return false;
}

/** The `Error` entries of a JSON fault, whatever the key case (`Fault.Error` or `fault.error`). */
export function faultErrors(value: unknown): unknown[] {
  const fault = pick(value, "fault");
  const errors = pick(fault, "error");
  if (Array.isArray(errors)) return errors;
  return errors === undefined ? [] : [errors];
}

/** Case-insensitive property read. */
export function pick(value: unknown, name: string): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  for (const [key, inner] of Object.entries(value)) if (key.toLowerCase() === name) return inner;
  return undefined;
}

/** What `quickBooksThrottled` needs from the adapter's options. */
export interface ThrottleContext {
  readonly fallbackMs: number;
  /** When a monthly CorePlus quota resets, seen from `now`. */
  readonly monthlyQuotaResetAt: (now: Date) => Date;
}

/**
 * The error the core turns into a `rate_limited` attempt. A per-minute throttle pauses this realm
 * (Retry-After, else Intuit's "wait 60 seconds"); the monthly CorePlus quota, metered per workspace,
 * pauses every realm of the app until the month's reset, with `limit: "month"`.
 */
export function quickBooksThrottled(response: { status: number; headers: Headers; text: string }, context: ThrottleContext): RateLimitedError {
  const given = parseRetryAfterMs(response.headers, -1);
  const retryAfterMs = given < 0 ? undefined : given;
  if (response.status === 429 && isMonthlyQuota(response.text, retryAfterMs)) {
    const now = new Date();
    const resetAt = context.monthlyQuotaResetAt(now);
    const waitMs = Math.max(retryAfterMs ?? 0, resetAt.getTime() - now.getTime(), context.fallbackMs);
    return new RateLimitedError(`QuickBooks monthly CorePlus quota reached (HTTP 429): calls resume at ${new Date(now.getTime() + waitMs).toISOString()}`, {
      retryAfterMs: waitMs,
      scope: "app",
      limit: "month",
    });
  }
  return new RateLimitedError(`QuickBooks throttled the request (HTTP ${response.status}, fault 3001)`, {
    // Intuit documents no Retry-After and says "wait 60 seconds": without a usable header the default applies.
    retryAfterMs: retryAfterMs ?? context.fallbackMs,
    // Intuit's throttle does not say which window was hit.
    scope: "tenant",
  });
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON: the XML and text patterns above already had their say.
    return undefined;
  }
}
