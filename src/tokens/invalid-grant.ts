// Recognising an OAuth `invalid_grant` answer (RFC 6749 §5.2) in whatever shape a token client throws it.

/**
 * True when `error` says the refresh token was refused with `invalid_grant`: in its `error` or `code`
 * field (intuit-oauth, openid-client, a plain fetch answer parsed into an error), in a response body
 * it carries (`body`, `data`, `response.data`, `originalMessage`), or in its message. The refresh token
 * is then dead (expired, revoked, or already rotated by a refresh that was not saved): only a new
 * authorisation brings the tenant back.
 */
export function isInvalidGrant(error: unknown): boolean {
  return mentions(error, 0);
}

function mentions(value: unknown, depth: number): boolean {
  if (depth > 3 || value === null || value === undefined) return false;
  if (typeof value === "string") return /\binvalid_grant\b/.test(value);
  if (typeof value !== "object") return false;
  const record = value as Record<string, unknown>;
  for (const field of ["error", "code", "message", "body", "data", "response", "originalMessage", "error_description"]) {
    if (field in record && mentions(record[field], depth + 1)) return true;
  }
  return false;
}
