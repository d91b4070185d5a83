import { isWebhookInboxError, ProviderRequestError } from "../../src/index.ts";

/** A response read whole: status, headers and body text. */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

export interface ApiCallOptions {
  readonly fetch: typeof globalThis.fetch;
  readonly url: string;
  readonly init: { method: string; headers: Record<string, string>; body?: string };
  readonly tenantId: string;
  readonly getAccessToken: (tenantId: string) => Promise<string> | string;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** Provider name for messages. */
  readonly provider: string;
}

/**
 * One API call with a Bearer token. A 401 asks `getAccessToken` again (the host may refresh) and
 * retries once; a second 401 is `PROVIDER_AUTH_FAILED`, not retryable. Network errors and timeouts
 * are retryable `ProviderRequestError`s. Every other status is returned for the caller to read.
 */
export async function callWithToken(options: ApiCallOptions): Promise<ApiResponse> {
  let response = await send(options, await accessToken(options));
  if (response.status !== 401) return response;
  response = await send(options, await accessToken(options));
  if (response.status !== 401) return response;
  throw new ProviderRequestError(`${options.provider} rejected the access token twice (HTTP 401)`, {
    code: "PROVIDER_AUTH_FAILED",
    retryable: false,
    providerStatus: 401,
  });
}

async function accessToken(options: ApiCallOptions): Promise<string> {
  let token: string;
  try {
    token = await options.getAccessToken(options.tenantId);
  } catch (error) {
    if (isWebhookInboxError(error)) throw error;
    // The token source may be briefly down (refresh endpoint): worth another attempt later.
    throw new ProviderRequestError(`${options.provider} getAccessToken failed for this tenant`, {
      code: "PROVIDER_AUTH_FAILED",
      retryable: true,
      cause: error,
    });
  }
  if (typeof token !== "string" || token === "") {
    throw new ProviderRequestError(`${options.provider} getAccessToken returned no token`, {
      code: "PROVIDER_AUTH_FAILED",
      retryable: false,
    });
  }
  return token;
}

async function send(options: ApiCallOptions, token: string): Promise<ApiResponse> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = AbortSignal.any([options.signal, timeout]);
  try {
    const response = await options.fetch(options.url, {
      method: options.init.method,
      headers: { ...options.init.headers, authorization: `Bearer ${token}` },
      ...(options.init.body === undefined ? {} : { body: options.init.body }),
      signal,
    });
    const text = await response.text();
    // An error body may echo the Authorization header back; its text is quoted into attempt errors.
    return { status: response.status, headers: response.headers, text: response.ok ? text : text.replaceAll(token, "[redacted]") };
  } catch (error) {
    const timedOut = timeout.aborted && !options.signal.aborted;
    const message = timedOut
      ? `${options.provider} request timed out after ${options.timeoutMs} ms`
      : options.signal.aborted
        ? `${options.provider} request aborted`
        : `${options.provider} request failed (network)`;
    throw new ProviderRequestError(message, { retryable: true, cause: error });
  }
}
