/**
 * A `Retry-After` header as milliseconds: delta-seconds (fractions rounded up) or an HTTP date
 * (a past date is 0). Without the header, or with one that is neither, `fallbackMs` applies:
 * pass the provider's `limits.defaultRetryAfterMs`, its documented wait when it names none.
 * `now` is the time an HTTP date is measured from.
 */
export function parseRetryAfterMs(headers: Headers, fallbackMs: number, now: number = Date.now()): number {
  const value = headers.get("retry-after")?.trim();
  if (value === undefined || value === "") return fallbackMs;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? fallbackMs : Math.max(0, date - now);
}
