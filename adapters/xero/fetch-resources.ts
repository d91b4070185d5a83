import {
  ProviderRequestError,
  type FetchResourceRequest,
  type FetchResourcesRequest,
  type FetchResourcesResult,
  type ResourceResult,
} from "../../src/index.ts";
import { callWithAccessToken, type ProviderHttpResponse, screenIds } from "../../src/provider-kit/index.ts";
import { xeroEndpoint, type XeroEndpoint } from "./categories.ts";
import type { ResolvedXeroOptions } from "./options.ts";
import { observeRemaining, xeroThrottled } from "./rate-limit-headers.ts";

/** Xero record ids are GUIDs; anything else would change the URL we build. */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Most ids per call: `idsPerRequest` where `IDs=` exists, 1 elsewhere (one GET per record). */
export function xeroMaxBatchSize(options: ResolvedXeroOptions, entityType: string): number {
  return xeroEndpoint(entityType)?.multiId === true ? options.idsPerRequest : 1;
}

/**
 * Downloads records with ONE HTTP call: `GET /Invoices?IDs=a,b,...` (or Contacts) for up to
 * `idsPerRequest` ids, or `GET /CreditNotes/{id}` for a category without `IDs=`. Every response's
 * remaining-budget headers are reported through `request.observe`.
 */
export async function fetchXeroResources(options: ResolvedXeroOptions, request: FetchResourcesRequest): Promise<FetchResourcesResult> {
  const endpoint = xeroEndpoint(request.entityType);
  const { valid, results } = screenIds(request.ids, {
    typeProblem: endpoint === undefined ? `Xero category ${JSON.stringify(request.entityType)} has no Accounting API endpoint to fetch` : undefined,
    isValid: (id) => GUID.test(id),
    invalid: (shown) => `Xero id ${shown} is not a GUID`,
  });
  if (endpoint === undefined || valid.length === 0) return results;
  const max = xeroMaxBatchSize(options, request.entityType);
  if (valid.length > max) {
    throw new ProviderRequestError(`fetchResources got ${valid.length} ${request.entityType} ids; maxBatchSize is ${max}`, { retryable: false });
  }
  const single = !endpoint.multiId;
  // page=1 makes Xero return full records (with line items) for list reads; ≤ 52 ids fit one page of 100.
  // includeArchived=true: an archived contact still exists, and archiving arrives as an UPDATE.
  const url = single
    ? `${options.baseUrl}/${endpoint.path}/${encodeURIComponent(valid[0] as string)}`
    : `${options.baseUrl}/${endpoint.path}?IDs=${valid.map(encodeURIComponent).join(",")}&page=1&includeArchived=true`;
  const response = await getXero(options, request, url);
  if (response.status === 404) {
    if (single) {
      // A 404 to a read of one record by id is Xero's own "no such record": final.
      results.set(valid[0] as string, { status: "missing", confirmed: true });
      return results;
    }
    // Xero answers 404 when the URL is too long (above 52 GUIDs): not "not found" (XeroAPI/xero-node#404, Xero-OpenAPI#534).
    throw new ProviderRequestError(`Xero answered 404 to a ${valid.length}-id GET /${endpoint.path}: the URL is too long; lower idsPerRequest`, {
      retryable: false,
      providerStatus: 404,
    });
  }
  if (response.status < 200 || response.status > 299) throw httpError(response);

  const records = readRecords(response, endpoint);
  const byId = new Map<string, unknown>();
  for (const record of records) {
    const id = typeof record === "object" && record !== null ? (record as Record<string, unknown>)[endpoint.idField] : undefined;
    if (typeof id === "string") byId.set(id.toLowerCase(), record);
  }
  for (const id of valid) {
    const record = byId.get(id.toLowerCase());
    results.set(id, record === undefined ? { status: "missing" } : { status: "found", data: record });
  }
  return results;
}

/**
 * Reads ONE record: `GET /{Endpoint}/{id}` (e.g. `/Invoices/{InvoiceID}`), the read the core uses to
 * confirm a record an `IDs=` answer left out. 404 → missing, confirmed; the record → found.
 */
export async function fetchXeroResource(options: ResolvedXeroOptions, request: FetchResourceRequest): Promise<ResourceResult> {
  const endpoint = xeroEndpoint(request.entityType);
  if (endpoint === undefined) {
    return {
      status: "error",
      error: new ProviderRequestError(`Xero category ${JSON.stringify(request.entityType)} has no Accounting API endpoint to fetch`, { retryable: false }),
    };
  }
  if (!GUID.test(request.id)) {
    return { status: "error", error: new ProviderRequestError(`Xero id ${JSON.stringify(request.id.slice(0, 80))} is not a GUID`, { retryable: false }) };
  }
  const response = await getXero(options, request, `${options.baseUrl}/${endpoint.path}/${encodeURIComponent(request.id)}`);
  if (response.status === 404) return { status: "missing", confirmed: true };
  if (response.status < 200 || response.status > 299) throw httpError(response);
  const record = readRecords(response, endpoint).find(
    (candidate) =>
      typeof candidate === "object" &&
      candidate !== null &&
      String((candidate as Record<string, unknown>)[endpoint.idField]).toLowerCase() === request.id.toLowerCase(),
  );
  if (record === undefined) {
    throw new ProviderRequestError(`Xero GET /${endpoint.path}/{id} answered 200 without that record`, { retryable: true, providerStatus: response.status });
  }
  return { status: "found", data: record };
}

/** One GET with the tenant header (and `headers`); reports the budget headers and throws on a throttle. */
export async function getXero(
  options: ResolvedXeroOptions,
  request: Pick<FetchResourcesRequest, "tenantId" | "signal" | "observe">,
  url: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<ProviderHttpResponse> {
  const response = await callWithAccessToken({
    provider: "Xero",
    fetch: options.fetch,
    url,
    init: { method: "GET", headers: { accept: "application/json", "xero-tenant-id": request.tenantId, ...headers } },
    tenantId: request.tenantId,
    getAccessToken: options.getAccessToken,
    timeoutMs: options.requestTimeoutMs,
    signal: request.signal,
    onResponse: (answer) => observeRemaining(answer.headers, request.observe),
  });
  if (response.status === 429 || isLegacyThrottle(response)) {
    throw xeroThrottled(response.status, response.headers, options.limits.defaultRetryAfterMs);
  }
  return response;
}

export function readRecords(response: ProviderHttpResponse, endpoint: XeroEndpoint): unknown[] {
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch (error) {
    throw new ProviderRequestError(`Xero GET /${endpoint.path} answered a body that is not JSON`, {
      retryable: true,
      providerStatus: response.status,
      cause: error,
    });
  }
  const records = typeof body === "object" && body !== null ? (body as Record<string, unknown>)[endpoint.collection] : undefined;
  if (!Array.isArray(records)) {
    throw new ProviderRequestError(`Xero GET /${endpoint.path} answered without a ${endpoint.collection} array`, {
      retryable: true,
      providerStatus: response.status,
    });
  }
  return records;
}

/** OAuth1-era limits answered 503 with `oauth_problem=rate limit exceeded` (legacy proxies only). */
function isLegacyThrottle(response: ProviderHttpResponse): boolean {
  return response.status === 503 && /oauth_problem=rate(%20|\s|\+)limit(%20|\s|\+)exceeded/i.test(response.text);
}

export function httpError(response: ProviderHttpResponse): ProviderRequestError {
  const detail = describeBody(response.text);
  if (response.status === 403) {
    // AuthorizationUnsuccessful: the organisation disconnected the app or the scope is missing.
    return new ProviderRequestError(`Xero refused access to this tenant (HTTP 403)${detail}`, {
      code: "PROVIDER_AUTH_FAILED",
      retryable: false,
      providerStatus: 403,
    });
  }
  return new ProviderRequestError(`Xero answered HTTP ${response.status}${detail}`, {
    retryable: response.status >= 500 || response.status === 408,
    providerStatus: response.status,
  });
}

/** Xero's error JSON has `Title`/`Detail` (or `Message`); quote a short part of it. */
function describeBody(text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const parts = [body.Title, body.Detail ?? body.Message].filter((part) => typeof part === "string" && part !== "");
    return parts.length === 0 ? "" : ` (${parts.join(": ").slice(0, 200)})`;
  } catch {
    // Not JSON (HTML error page): the status alone says enough.
    return "";
  }
}
