// One authorised GET against the QuickBooks Accounting API (a read by id, a CDC call, a query page),
// answered as the raw response plus its body parsed as JSON when it is JSON.
import { callWithAccessToken, type ProviderHttpResponse } from "../../src/provider-kit/index.ts";
import { tryJson } from "./batch-fetch.ts";
import type { ResolvedQuickBooksOptions } from "./options.ts";

export interface QuickBooksAnswer {
  readonly response: ProviderHttpResponse;
  /** 2xx. */
  readonly ok: boolean;
  /** The body as JSON, or undefined when it is not JSON. */
  readonly body: unknown;
}

export async function getQuickBooksJson(
  options: ResolvedQuickBooksOptions,
  request: { readonly tenantId: string; readonly signal: AbortSignal },
  url: string,
): Promise<QuickBooksAnswer> {
  const response = await callWithAccessToken({
    provider: "QuickBooks",
    fetch: options.fetch,
    url,
    init: { method: "GET", headers: { accept: "application/json" } },
    tenantId: request.tenantId,
    getAccessToken: options.getAccessToken,
    timeoutMs: options.requestTimeoutMs,
    signal: request.signal,
  });
  return { response, ok: response.status >= 200 && response.status <= 299, body: tryJson(response.text) };
}
