import { RateLimitedError, parseRetryAfterMs } from "../../src/index.ts";

/**
 * Intuit's throttle: HTTP 429, or fault code 3001 / `ThrottleExceeded`. The body has come back as
 * XML even to a JSON request, and older throttles used HTTP 403 (PROVIDERS.md §1.9), so every
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

/** The error the core turns into a `rate_limited` attempt for this realm. */
export function quickBooksThrottled(status: number, headers: Headers, fallbackMs: number): RateLimitedError {
  return new RateLimitedError(`QuickBooks throttled the request (HTTP ${status}, fault 3001)`, {
    // Intuit documents no Retry-After and says "wait 60 seconds": without a usable header the default applies.
    retryAfterMs: parseRetryAfterMs(headers, fallbackMs),
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
