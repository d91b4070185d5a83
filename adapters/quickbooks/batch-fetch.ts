import { ProviderRequestError, type FetchResourcesRequest, type FetchResourcesResult, type ResourceResult } from "../../src/index.ts";
import { callWithAccessToken, screenIds } from "../../src/provider-kit/index.ts";
import { isListEntity, isSafeEntityName, quickBooksIdKey } from "./entity-names.ts";
import { QUICKBOOKS_BATCH_MAX_RESPONSE_OBJECTS } from "./limits.ts";
import type { ResolvedQuickBooksOptions } from "./options.ts";
import { faultErrors, isThrottleBody, isThrottleFaultError, pick, quickBooksThrottled } from "./throttle.ts";

/** QuickBooks ids are short numeric strings; anything else could break out of the query's quotes. */
export const SAFE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Most ids one `fetchResources` call takes: one batch request of query items, and never more than a
 * batch response can return (1,000 objects), so no asked-for record is cut off the answer.
 */
export function quickBooksMaxBatchSize(options: ResolvedQuickBooksOptions): number {
  return Math.min(options.maxItemsPerBatch * options.idsPerQuery, QUICKBOOKS_BATCH_MAX_RESPONSE_OBJECTS);
}

/**
 * Downloads entities with ONE call to the batch endpoint: ids are packed into query items
 * (`select * from Invoice where Id in ('1','2') maxresults 2`; name-list entities such as Customer add
 * `and Active in (true, false)` so inactive records come back), at most `idsPerQuery` per item and
 * `maxItemsPerBatch` items, at most 1,000 ids in all (the batch response cap). Each item's `Fault` (inside an HTTP 200) fails only that item's ids;
 * ids a query does not return are `missing` (deleted, or never existed).
 */
export async function fetchQuickBooksResources(options: ResolvedQuickBooksOptions, request: FetchResourcesRequest): Promise<FetchResourcesResult> {
  const { entityType } = request;
  const { valid, results } = screenIds(request.ids, {
    typeProblem: isSafeEntityName(entityType) ? undefined : `QuickBooks entity type ${JSON.stringify(entityType)} cannot be queried`,
    isValid: (id) => SAFE_ID.test(id),
    invalid: (shown) => `QuickBooks id ${shown} is not a valid entity id`,
  });
  if (valid.length === 0) return results;
  if (valid.length > quickBooksMaxBatchSize(options)) {
    throw new ProviderRequestError(`fetchResources got ${valid.length} ids; maxBatchSize is ${quickBooksMaxBatchSize(options)}`, {
      retryable: false,
    });
  }

  // Ids that QuickBooks compares as equal (`011` and `11`) are asked for once, in their plain form.
  const askedByKey = new Map<string, string[]>();
  for (const id of valid) {
    const key = quickBooksIdKey(id);
    askedByKey.set(key, [...(askedByKey.get(key) ?? []), id]);
  }
  const activeClause = isListEntity(entityType) ? " and Active in (true, false)" : "";
  const items = chunk([...askedByKey.keys()], options.idsPerQuery).map((keys, index) => ({
    bId: `q${index}`,
    keys,
    Query: `select * from ${entityType} where Id in (${keys.map((key) => `'${key}'`).join(",")})${activeClause} maxresults ${keys.length}`,
  }));
  const url = `${options.baseUrl}/v3/company/${encodeURIComponent(request.tenantId)}/batch?minorversion=${options.minorVersion}`;
  const response = await callWithAccessToken({
    provider: "QuickBooks",
    fetch: options.fetch,
    url,
    init: {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/json" },
      body: JSON.stringify({ BatchItemRequest: items.map(({ bId, Query }) => ({ bId, Query })) }),
    },
    tenantId: request.tenantId,
    getAccessToken: options.getAccessToken,
    timeoutMs: options.requestTimeoutMs,
    signal: request.signal,
  });

  const throttle = { fallbackMs: options.limits.defaultRetryAfterMs, monthlyQuotaResetAt: options.monthlyQuotaResetAt };
  const ok = response.status >= 200 && response.status <= 299;
  const body = tryJson(response.text);
  // Entity data may contain any text, so a JSON success body is only read for structured faults.
  const throttled = response.status === 429 || (ok && body !== undefined ? faultErrors(body).some(isThrottleFaultError) : isThrottleBody(response.text));
  if (throttled) throw quickBooksThrottled(response, throttle);
  if (!ok) throw httpError(response.status, response.text);

  const itemResponses = pick(body, "batchitemresponse");
  if (!Array.isArray(itemResponses)) {
    throw new ProviderRequestError("QuickBooks batch response has no BatchItemResponse array", {
      retryable: true,
      providerStatus: response.status,
    });
  }
  const byBid = new Map<string, unknown>();
  for (const item of itemResponses) {
    const bId = pick(item, "bid");
    if (typeof bId === "string") byBid.set(bId, item);
  }
  // A throttle fault on any item means the realm is throttled: pause it rather than fail events.
  if ([...byBid.values()].some((item) => faultErrors(item).some(isThrottleFaultError))) {
    throw quickBooksThrottled(response, throttle);
  }

  for (const item of items) {
    const answer = byBid.get(item.bId);
    for (const [key, result] of mapItem(entityType, item.keys, answer)) {
      for (const id of askedByKey.get(key) ?? []) results.set(id, result);
    }
  }
  return results;
}

/**
 * Per-item outcome by id key: fault → every id of the item fails with it; rows → found; absent →
 * missing. Rows are matched by `quickBooksIdKey`, so an answer's `Id: "11"` is the `011` asked for.
 */
function mapItem(entityType: string, ids: readonly string[], answer: unknown): Map<string, ResourceResult> {
  const results = new Map<string, ResourceResult>();
  const failAll = (error: Error) => {
    for (const id of ids) results.set(id, { status: "error", error });
  };
  if (answer === undefined) {
    failAll(new ProviderRequestError("QuickBooks batch response left out this item", { retryable: true }));
    return results;
  }
  const fault = pick(answer, "fault");
  if (fault !== undefined) {
    failAll(faultError(fault));
    return results;
  }
  const queryResponse = pick(answer, "queryresponse");
  if (typeof queryResponse !== "object" || queryResponse === null || Array.isArray(queryResponse)) {
    failAll(new ProviderRequestError("QuickBooks batch item has no QueryResponse object", { retryable: true }));
    return results;
  }
  // An empty QueryResponse ({}) is how QuickBooks says "no rows".
  const rows = pick(queryResponse, entityType.toLowerCase()) ?? [];
  if (!Array.isArray(rows)) {
    failAll(new ProviderRequestError(`QuickBooks QueryResponse.${entityType} is not an array`, { retryable: true }));
    return results;
  }
  const found = new Map<string, unknown>();
  for (const row of rows) {
    const id = pick(row, "id");
    if (typeof id === "string" || typeof id === "number") found.set(quickBooksIdKey(String(id)), row);
  }
  for (const id of ids) {
    const row = found.get(id);
    results.set(id, row === undefined ? { status: "missing" } : { status: "found", data: row });
  }
  return results;
}

/** A per-item fault as an error: ValidationFault is the request's fault (not retryable), others may pass. */
export function faultError(fault: unknown): ProviderRequestError {
  const type = pick(fault, "type");
  const first = faultErrors({ Fault: fault })[0];
  const code = pick(first, "code");
  const message = pick(first, "message");
  const detail = pick(first, "detail");
  const text = [message, detail].filter((part) => typeof part === "string" && part !== "").join(": ");
  return new ProviderRequestError(
    `QuickBooks fault${typeof type === "string" ? ` ${type}` : ""}${code === undefined ? "" : ` ${String(code)}`}${text === "" ? "" : `: ${text}`}`,
    { retryable: type !== "ValidationFault" },
  );
}

export function httpError(status: number, text: string): ProviderRequestError {
  const fault = pick(tryJson(text), "fault");
  const described = fault === undefined ? "" : ` (${faultError(fault).message})`;
  if (status === 403) {
    return new ProviderRequestError(`QuickBooks refused access to this realm (HTTP 403)${described}`, {
      code: "PROVIDER_AUTH_FAILED",
      retryable: false,
      providerStatus: status,
    });
  }
  // 5xx and 408 are the provider's trouble; other 4xx are ours and will not pass on a retry.
  return new ProviderRequestError(`QuickBooks answered HTTP ${status}${described}`, {
    retryable: status >= 500 || status === 408,
    providerStatus: status,
  });
}

function chunk<T>(list: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let index = 0; index < list.length; index += size) chunks.push(list.slice(index, index + size));
  return chunks;
}

export function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // A non-JSON body is reported by the caller as a malformed response.
    return undefined;
  }
}
