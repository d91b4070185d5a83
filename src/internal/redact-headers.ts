// Request headers as stored: names lower-cased, secrets redacted.
/** Header names whose values never reach the store, the log or the dashboard. */
const SECRET_HEADERS = new Set(["authorization", "proxy-authorization", "cookie", "set-cookie", "intuit-signature", "x-xero-signature", "x-api-key"]);

export const REDACTED = "[redacted]";

/** Lower-cases names, joins repeated values, and replaces secret values with a marker. */
export function normalizeHeaders(headers: Headers | Readonly<Record<string, string | readonly string[] | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  // Duck-typed: a Headers object from another realm or a polyfill is not `instanceof Headers`.
  if (isHeadersLike(headers)) {
    headers.forEach((value, name) => {
      out[name.toLowerCase()] = value;
    });
    return out;
  }
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    out[name.toLowerCase()] = typeof value === "string" ? value : Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}

export function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) out[name] = isSecretHeader(name) ? REDACTED : headers[name]!;
  return out;
}

/** Decisions for header names already seen: a webhook sender repeats the same few names on every request. */
const secretByName = new Map<string, boolean>();
/** Bounded, so a client inventing header names cannot grow it: past it, names are decided afresh. */
const MAX_REMEMBERED_NAMES = 1024;

function isSecretHeader(name: string): boolean {
  const known = secretByName.get(name);
  if (known !== undefined) return known;
  const secret = SECRET_HEADERS.has(name) || /token|secret|signature|api-key|password/.test(name);
  if (secretByName.size < MAX_REMEMBERED_NAMES) secretByName.set(name, secret);
  return secret;
}

function isHeadersLike(value: unknown): value is Headers {
  return typeof (value as Headers).get === "function" && typeof (value as Headers).forEach === "function";
}
