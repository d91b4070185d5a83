// The error hierarchy: WebhookInboxError, its subclasses and codes.
/**
 * One error hierarchy for the whole library. Callers branch on `code` (or the class),
 * never on `message`. Messages never carry secrets, tokens or signatures.
 */

export type WebhookInboxErrorCode =
  | "CONFIG_INVALID"
  | "REQUEST_INVALID"
  /** The operation collides with the resource's state or with one already running (409). */
  | "CONFLICT"
  /** stop() ended the work: the reason a handler's signal carries when the inbox stops. */
  | "INBOX_STOPPING"
  | "PAYLOAD_INVALID"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "METHOD_NOT_ALLOWED"
  | "SIGNATURE_INVALID"
  | "INTEGRATION_UNKNOWN"
  | "STORE_FAILED"
  /** `receive()` beyond `maxInFlightReceives`: answered 503 + `Retry-After`, announced on `delivery:rejected`. */
  | "OVERLOADED"
  | "PROVIDER_REQUEST_FAILED"
  | "PROVIDER_AUTH_FAILED"
  | "RATE_LIMITED"
  /** A tenant's OAuth grant is gone (`invalid_grant`): its events are parked until it is authorised again. */
  | "REAUTHORIZATION_REQUIRED"
  | "HANDLER_FAILED"
  | "HANDLER_TIMEOUT"
  | "EVENT_NOT_FOUND"
  | "EVENT_NOT_RETRYABLE"
  | "DELIVERY_NOT_FOUND"
  /** Admin API: no such route. */
  | "NOT_FOUND"
  /** Admin API: the caller is not authorized. */
  | "UNAUTHORIZED"
  /** Admin API: the caller may not do this (another site, another tenant's settings). */
  | "FORBIDDEN"
  /** Admin API: the caller has read-only access. */
  | "READ_ONLY"
  /** Admin API: a retry by filter whose confirmed count no longer matches. */
  | "COUNT_MISMATCH";

const BRAND: unique symbol = Symbol.for("webhook-inbox/error") as never;

export interface WebhookInboxErrorOptions {
  /** HTTP status used when this error ends a request. @default 500 */
  status?: number;
  cause?: unknown;
}

export class WebhookInboxError extends Error {
  override name = "WebhookInboxError";
  readonly code: WebhookInboxErrorCode;
  readonly status: number;
  readonly [BRAND] = true;
  constructor(code: WebhookInboxErrorCode, message: string, options: WebhookInboxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? 500;
  }
}

/** Brand check that survives two copies of the library (ESM and CJS) in one process. */
export function isWebhookInboxError(value: unknown): value is WebhookInboxError {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** Bad options at construction. `issues` lists each bad path. */
export class WebhookConfigError extends WebhookInboxError {
  override name = "WebhookConfigError";
  readonly issues: readonly { path: string; message: string }[];
  constructor(message: string, issues: readonly { path: string; message: string }[] = [], cause?: unknown) {
    super("CONFIG_INVALID", message, { cause });
    this.issues = issues;
  }
}

/**
 * A request refused with a 4xx answer: the admin API throws it (as `AdminHttpError`) for a bad
 * parameter, body, media type, size, method or route. A webhook request is never thrown at: it is
 * answered (401, 404, 405, 413, 415) and logged as a rejected delivery.
 */
export class WebhookRequestError extends WebhookInboxError {
  override name = "WebhookRequestError";
  /** Extra fields of the JSON error body (e.g. `param`, the parameter at fault). */
  readonly details: Readonly<Record<string, unknown>>;
  /** Extra response headers (e.g. `allow` on a 405). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    status: number,
    code: WebhookInboxErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(code, message, { status, cause: options.cause });
    this.details = options.details ?? {};
    this.headers = options.headers ?? {};
  }
}

/** Missing or wrong signature: always 401 with a fixed body. */
export class WebhookVerificationError extends WebhookInboxError {
  override name = "WebhookVerificationError";
  constructor(message = "signature missing or invalid", cause?: unknown) {
    super("SIGNATURE_INVALID", message, { status: 401, cause });
  }
}

/** A correctly signed body that does not parse as the provider's format; names what is wrong. */
export class WebhookPayloadError extends WebhookInboxError {
  override name = "WebhookPayloadError";
  constructor(message: string, cause?: unknown) {
    super("PAYLOAD_INVALID", message, { status: 400, cause });
  }
}

/** The store could not do its job; a receive answers 503 so the provider retries. */
export class StoreError extends WebhookInboxError {
  override name = "StoreError";
  readonly store: string;
  constructor(store: string, message: string, cause?: unknown) {
    super("STORE_FAILED", `[${store}] ${message}`, { status: 503, cause });
    this.store = store;
  }
}

/** A provider API call failed. `retryable` says whether trying again later may help. */
export class ProviderRequestError extends WebhookInboxError {
  override name = "ProviderRequestError";
  readonly retryable: boolean;
  /** HTTP status the provider answered, when it answered. */
  readonly providerStatus: number | undefined;
  constructor(message: string, options: { retryable?: boolean; providerStatus?: number; cause?: unknown; code?: WebhookInboxErrorCode } = {}) {
    super(options.code ?? "PROVIDER_REQUEST_FAILED", message, { status: 502, cause: options.cause });
    this.retryable = options.retryable ?? true;
    this.providerStatus = options.providerStatus;
  }
}

/**
 * The provider answered "too many requests". Not a failure of the event: the attempt is recorded
 * as `rate_limited`, the tenant (or the whole app) pauses for `retryAfterMs`, no automatic attempt is spent.
 */
export class RateLimitedError extends WebhookInboxError {
  override name = "RateLimitedError";
  readonly retryAfterMs: number;
  /** `tenant`: this tenant only; `app`: every tenant of this provider. */
  readonly scope: "tenant" | "app";
  /** Which limit was hit, when the provider says (`minute`, `day`, ...). */
  readonly limit: string | undefined;
  constructor(message: string, options: { retryAfterMs: number; scope?: "tenant" | "app" | undefined; limit?: string | undefined; cause?: unknown }) {
    super("RATE_LIMITED", message, { status: 429, cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
    this.scope = options.scope ?? "tenant";
    this.limit = options.limit;
  }
}

/**
 * A tenant must be authorised again (its refresh token was refused with `invalid_grant`, or none was
 * ever saved). Thrown by `getAccessToken` (see `singleFlightTokens`); the processor does not fail the
 * tenant's events but parks them: no attempt is spent or recorded, `lastError` says why, and they are
 * looked at again every `recheckMs` (without calling the provider while the mark stands).
 */
export class ReauthorizationRequiredError extends WebhookInboxError {
  override name = "ReauthorizationRequiredError";
  readonly tenantId: string;
  /** When the parked events are looked at again. */
  readonly recheckMs: number;
  constructor(message: string, options: { tenantId: string; recheckMs: number; cause?: unknown }) {
    super("REAUTHORIZATION_REQUIRED", message, { status: 503, cause: options.cause });
    this.tenantId = options.tenantId;
    this.recheckMs = options.recheckMs;
  }
}

/** Text of an error for logs and the attempt record: message only, never a stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
