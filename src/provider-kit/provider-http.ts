import { isWebhookInboxError, ProviderRequestError } from "../errors.ts";

/** A provider API response read whole: status, headers and body text. */
export interface ProviderHttpResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The body; on a non-2xx answer every copy of the access token in it is replaced by `[redacted]`. */
  readonly text: string;
}

/** One call of `callWithAccessToken`. */
export interface ProviderHttpCallOptions {
  readonly fetch: typeof globalThis.fetch;
  readonly url: string;
  /** Method, headers (without `authorization`, which is added) and an optional text body. */
  readonly init: { method: string; headers: Record<string, string>; body?: string };
  /** Passed to `getAccessToken`: the realm / organisation the call is for. */
  readonly tenantId: string;
  /** The host's token source; asked before each try, so a refreshed token is picked up after a 401. */
  readonly getAccessToken: (tenantId: string) => Promise<string> | string;
  /** Timeout of one HTTP try. */
  readonly timeoutMs: number;
  /** The core's abort signal (`FetchResourcesRequest.signal`). */
  readonly signal: AbortSignal;
  /** Provider name for messages ("QuickBooks", "Xero"). */
  readonly provider: string;
  /** Sees every response, 401s included (e.g. to read remaining-budget headers, which are on all of them). */
  readonly onResponse?: (response: ProviderHttpResponse) => void;
}

/**
 * One provider API call with a Bearer token, for adapters whose API uses OAuth access tokens.
 * A 401 asks `getAccessToken` again (the host may refresh) and retries once; a second 401 is
 * `PROVIDER_AUTH_FAILED`, not retryable. A failing token source is a retryable `PROVIDER_AUTH_FAILED`,
 * an empty token a final one. Network errors and timeouts are retryable `ProviderRequestError`s.
 * Every other status is returned for the caller to read; mapping it is provider-specific.
 */
export async function callWithAccessToken(options: ProviderHttpCallOptions): Promise<ProviderHttpResponse> {
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

async function accessToken(options: ProviderHttpCallOptions): Promise<string> {
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

async function send(options: ProviderHttpCallOptions, token: string): Promise<ProviderHttpResponse> {
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
    const result = { status: response.status, headers: response.headers, text: response.ok ? text : text.replaceAll(token, "[redacted]") };
    options.onResponse?.(result);
    return result;
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
