/**
 * The single-record read QuickBooks offers: `GET /v3/company/{realmId}/{entity}/{id}`. The core uses
 * it to confirm a record a batch answer left out before a handler is told the record is gone.
 */
import { ProviderRequestError, type FetchResourceRequest, type ResourceResult } from "../../src/index.ts";
import { SAFE_ID, faultError, httpError } from "./batch-fetch.ts";
import { getQuickBooksJson } from "./get-json.ts";
import { isSafeEntityName, quickBooksIdKey } from "./entity-names.ts";
import type { ResolvedQuickBooksOptions } from "./options.ts";
import { faultErrors, isThrottleBody, isThrottleFaultError, pick, quickBooksThrottled } from "./throttle.ts";

/**
 * Reads one entity by id. 200 with the entity → found; a `ValidationFault` 610 "Object Not Found"
 * (QuickBooks' answer to a read of an id that does not exist) → missing, confirmed. A read returns
 * inactive name-list records too, so no `Active` filter is needed here.
 */
export async function readQuickBooksResource(options: ResolvedQuickBooksOptions, request: FetchResourceRequest): Promise<ResourceResult> {
  const { entityType, id } = request;
  if (!isSafeEntityName(entityType)) {
    return { status: "error", error: new ProviderRequestError(`QuickBooks entity type ${JSON.stringify(entityType)} cannot be read`, { retryable: false }) };
  }
  if (!SAFE_ID.test(id)) {
    return {
      status: "error",
      error: new ProviderRequestError(`QuickBooks id ${JSON.stringify(id.slice(0, 80))} is not a valid entity id`, { retryable: false }),
    };
  }
  const url =
    `${options.baseUrl}/v3/company/${encodeURIComponent(request.tenantId)}/${entityType.toLowerCase()}/` +
    `${encodeURIComponent(quickBooksIdKey(id))}?minorversion=${options.minorVersion}`;
  const { response, ok, body } = await getQuickBooksJson(options, request, url);
  const throttled = response.status === 429 || (ok && body !== undefined ? faultErrors(body).some(isThrottleFaultError) : isThrottleBody(response.text));
  if (throttled) {
    throw quickBooksThrottled(response, { fallbackMs: options.limits.defaultRetryAfterMs, monthlyQuotaResetAt: options.monthlyQuotaResetAt });
  }
  if (faultErrors(body).some(isNotFound)) return { status: "missing", confirmed: true };
  if (!ok) throw httpError(response.status, response.text);
  const fault = pick(body, "fault");
  if (fault !== undefined) return { status: "error", error: faultError(fault) };
  const entity = pick(body, entityType.toLowerCase());
  if (typeof entity !== "object" || entity === null || Array.isArray(entity)) {
    throw new ProviderRequestError(`QuickBooks read of ${entityType} ${id} answered without a ${entityType} object`, {
      retryable: true,
      providerStatus: response.status,
    });
  }
  return { status: "found", data: entity };
}

/** Fault 610, "Object Not Found". */
function isNotFound(error: unknown): boolean {
  const code = pick(error, "code");
  return code !== undefined && /^0*610$/.test(String(code).trim());
}
