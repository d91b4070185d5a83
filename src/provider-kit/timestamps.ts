import { z } from "zod";

/**
 * ISO-8601 date-times as accounting providers send them, which is looser than `Date.parse` wants and
 * stricter than it allows. Seen in the providers' own samples (Intuit's webhooks docs and migration blog, Xero's webhook OpenAPI spec):
 * QuickBooks `2025-09-08T20:52:31.657Z`, `2015-10-05T14:42:19-0700` (offset without a colon),
 * `2025-09-10T21:31:25.179851517Z` (nanoseconds), `2025-12-04T15:25:05Z`;
 * Xero `eventDateUtc` without a zone (`2024-06-21T01:15:39.902`) or with a `Z` (`2018-02-09T09:19:05.06Z`).
 */
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses one of the formats above; `undefined` when the text is not a valid date-time.
 * A value without a zone is read as UTC. Fractions beyond milliseconds are truncated. Calendar
 * overflow (`2025-02-30`) and results past year 9999 are refused rather than moved.
 */
export function parseIsoDateTime(text: string): Date | undefined {
  const match = ISO_DATE_TIME.exec(text.trim());
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second = "0", fraction = "", zone = "Z"] = match;
  const ms = Number(fraction.slice(0, 3).padEnd(3, "0"));
  const local = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), ms);
  // Reject rolled-over values such as 2025-02-30 instead of silently moving them.
  const check = new Date(local);
  if (
    check.getUTCFullYear() !== Number(year) ||
    check.getUTCMonth() !== Number(month) - 1 ||
    check.getUTCDate() !== Number(day) ||
    check.getUTCHours() !== Number(hour) ||
    check.getUTCMinutes() !== Number(minute)
  ) {
    return undefined;
  }
  const date = new Date(local - offsetMs(zone));
  // An offset can push 9999-12-31 into year 10000: ISO text (and so every store) writes that as "+010000-…",
  // which PostgreSQL refuses, turning one odd webhook into a 503 forever. No provider sends such a date.
  return date.getUTCFullYear() <= 9999 ? date : undefined;
}

/**
 * `parseIsoDateTime` as a zod schema for a payload field: a string in, a `Date` out, or the issue
 * `is not an ISO-8601 date-time ("<the text, cut at 40 characters>")`.
 */
export const isoDateTimeSchema = z.string().transform((text, context) => {
  const date = parseIsoDateTime(text);
  if (date === undefined) {
    context.addIssue({ code: "custom", message: `is not an ISO-8601 date-time (${JSON.stringify(text.slice(0, 40))})` });
    return z.NEVER;
  }
  return date;
});

/** Latest instant every store can write (9999-12-31T23:59:59.999Z). */
const MAX_EPOCH_MS = 253_402_300_799_999;

/**
 * A provider time given as ISO-8601 text or as epoch milliseconds (a JSON number, or a string of
 * digits): Intuit's webinar Q&A says classic `lastUpdated` comes as "epoch milliseconds or varied
 * timestamp format". Negative, fractional or out-of-range numbers are refused.
 */
export const dateTimeOrEpochMsSchema = z.union([z.number(), z.string()]).transform((value, context) => {
  const digits = typeof value === "string" && /^\s*\d{1,15}\s*$/.test(value) ? Number(value) : value;
  if (typeof digits === "number") {
    if (Number.isSafeInteger(digits) && digits >= 0 && digits <= MAX_EPOCH_MS) return new Date(digits);
    context.addIssue({ code: "custom", message: `is not a date-time nor epoch milliseconds (${JSON.stringify(String(value).slice(0, 40))})` });
    return z.NEVER;
  }
  const date = parseIsoDateTime(digits);
  if (date === undefined) {
    context.addIssue({ code: "custom", message: `is not an ISO-8601 date-time nor epoch milliseconds (${JSON.stringify(digits.slice(0, 40))})` });
    return z.NEVER;
  }
  return date;
});

function offsetMs(zone: string): number {
  if (zone === "Z" || zone === "z") return 0;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (hours * 60 + minutes) * 60_000;
}
