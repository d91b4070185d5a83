/**
 * QuickBooks reconciliation: what changed in a realm's entity type, one call at a time. ChangeDataCapture
 * (`GET /v3/company/{realmId}/cdc?entities=…&changedSince=…`) while the window starts within CDC's 30-day
 * look-back; the query path (`MetaData.LastUpdatedTime` paged with STARTPOSITION/MAXRESULTS) before that
 * and for the entity types CDC does not serve. Rules from Intuit's ChangeDataCapture page (developer.intuit.com, "Change data capture").
 */
import { ProviderRequestError, type ChangesAnswer, type ListChangesRequest, type ProviderChange } from "../../src/index.ts";
import { faultError, httpError } from "./batch-fetch.ts";
import { getQuickBooksJson } from "./get-json.ts";
import { isListEntity, isSafeEntityName } from "./entity-names.ts";
import type { ResolvedQuickBooksOptions } from "./options.ts";
import { faultErrors, isThrottleBody, isThrottleFaultError, pick, quickBooksThrottled } from "./throttle.ts";

/** "changedSince" may go back at most 30 days. */
export const QUICKBOOKS_CDC_LOOKBACK_MS = 30 * 24 * 60 * 60_000;
/** A CDC answer holds at most 1,000 objects per entity, and CDC has no paging. */
export const QUICKBOOKS_CDC_MAX_OBJECTS = 1_000;
/** Rows one query page asks for on the query path (QuickBooks returns at most 1,000). */
export const QUICKBOOKS_QUERY_PAGE = 1_000;
/** Kept clear of the 30-day edge, so a window that starts near it is not refused while the call travels. */
const LOOKBACK_MARGIN_MS = 60 * 60_000;
/** "Not supported for JournalCode, TaxAgency, TimeActivity, TaxCode, TaxRate" (Intuit's CDC page). */
const NOT_IN_CDC = new Set(["journalcode", "taxagency", "timeactivity", "taxcode", "taxrate"]);

/** Where a window goes on: CDC from a later `changedSince`, or a query page after the last time seen. */
type Cursor = { readonly path: "cdc"; readonly since: string } | { readonly path: "query"; readonly since: string; readonly skip: number };

/** One reconciliation call for `request`'s window; `next` carries the rest of the window. */
export async function listQuickBooksChanges(options: ResolvedQuickBooksOptions, request: ListChangesRequest): Promise<ChangesAnswer> {
  const { entityType } = request;
  if (!isSafeEntityName(entityType))
    throw new ProviderRequestError(`QuickBooks entity type ${JSON.stringify(entityType)} cannot be reconciled`, { retryable: false });
  const cursor = request.cursor as Cursor | null;
  if (cursor?.path === "query") return queryPage(options, request, new Date(cursor.since), cursor.skip, undefined);
  const since = cursor ? new Date(cursor.since) : request.since;
  if (NOT_IN_CDC.has(entityType.toLowerCase())) {
    return queryPage(options, request, since, 0, `ChangeDataCapture does not serve ${entityType}: reconciled by query (deletions are not visible this way)`);
  }
  if (request.now.getTime() - since.getTime() > QUICKBOOKS_CDC_LOOKBACK_MS - LOOKBACK_MARGIN_MS) {
    return queryPage(
      options,
      request,
      since,
      0,
      `watermark ${since.toISOString()} is older than ChangeDataCapture's 30 days: reconciled by query on MetaData.LastUpdatedTime (deletions are not visible this way)`,
    );
  }
  return cdcCall(options, request, since);
}

async function cdcCall(options: ResolvedQuickBooksOptions, request: ListChangesRequest, since: Date): Promise<ChangesAnswer> {
  const url =
    `${options.baseUrl}/v3/company/${encodeURIComponent(request.tenantId)}/cdc?entities=${encodeURIComponent(request.entityType)}` +
    `&changedSince=${encodeURIComponent(since.toISOString())}&minorversion=${options.minorVersion}`;
  const body = await get(options, request, url);
  const cdc = pick(body, "cdcresponse");
  const responses = pick(Array.isArray(cdc) ? cdc[0] : undefined, "queryresponse");
  if (!Array.isArray(responses)) throw new ProviderRequestError("QuickBooks CDC answer has no CDCResponse[0].QueryResponse array", { retryable: true });
  const rows = responses.flatMap((response) => {
    const found = pick(response, request.entityType.toLowerCase());
    return Array.isArray(found) ? found : [];
  });
  const changes = rows.map(toChange).filter((change): change is ProviderChange => change !== null);
  if (rows.length < QUICKBOOKS_CDC_MAX_OBJECTS) return { changes, next: null, path: "cdc" };
  // A full answer: CDC has no paging, so the window is split at the newest change it held and the rest
  // is asked again from there (records changed at that instant may come twice; the core keeps one).
  const newest = changes.reduce((latest, change) => Math.max(latest, change.occurredAt.getTime()), Number.NEGATIVE_INFINITY);
  if (!(newest > since.getTime())) {
    // 1,000 objects changed at one instant: a later changedSince cannot narrow it; the query path pages through it.
    return {
      changes,
      next: { path: "query", since: since.toISOString(), skip: 0 } satisfies Cursor,
      path: "cdc",
      note: `CDC answer for ${request.entityType} held ${rows.length} objects changed at ${since.toISOString()}: the rest of that instant by query`,
    };
  }
  const split = new Date(newest).toISOString();
  return {
    changes,
    next: { path: "cdc", since: split } satisfies Cursor,
    completeThrough: new Date(newest),
    path: "cdc",
    note: `CDC answer for ${request.entityType} from ${since.toISOString()} held ${rows.length} objects (the cap): window split at ${split}`,
  };
}

async function queryPage(
  options: ResolvedQuickBooksOptions,
  request: ListChangesRequest,
  since: Date,
  skip: number,
  note: string | undefined,
): Promise<ChangesAnswer> {
  const { entityType } = request;
  const active = isListEntity(entityType) ? " and Active in (true, false)" : "";
  // Keyset on the update time, STARTPOSITION only past the rows already seen at that same instant: a
  // record updated while the pages are read moves out of the window instead of shifting others past a page.
  const query =
    `select * from ${entityType} where MetaData.LastUpdatedTime >= '${since.toISOString()}' and MetaData.LastUpdatedTime <= '${request.until.toISOString()}'` +
    `${active} orderby MetaData.LastUpdatedTime startposition ${skip + 1} maxresults ${QUICKBOOKS_QUERY_PAGE}`;
  const url = `${options.baseUrl}/v3/company/${encodeURIComponent(request.tenantId)}/query?query=${encodeURIComponent(query)}&minorversion=${options.minorVersion}`;
  const body = await get(options, request, url);
  const response = pick(body, "queryresponse");
  if (typeof response !== "object" || response === null) throw new ProviderRequestError("QuickBooks query answer has no QueryResponse", { retryable: true });
  const rows = pick(response, entityType.toLowerCase()) ?? [];
  if (!Array.isArray(rows)) throw new ProviderRequestError(`QuickBooks QueryResponse.${entityType} is not an array`, { retryable: true });
  const changes = rows.map(toChange).filter((change): change is ProviderChange => change !== null);
  const base = { changes, path: "query" as const, ...(note === undefined ? {} : { note }) };
  if (rows.length < QUICKBOOKS_QUERY_PAGE || changes.length === 0) return { ...base, next: null };
  const last = changes[changes.length - 1]!.occurredAt.getTime();
  const atLast = changes.filter((change) => change.occurredAt.getTime() === last).length;
  if (last === since.getTime()) return { ...base, next: { path: "query", since: since.toISOString(), skip: skip + atLast } satisfies Cursor };
  return { ...base, next: { path: "query", since: new Date(last).toISOString(), skip: atLast } satisfies Cursor, completeThrough: new Date(last) };
}

/** One GET with the realm's token; throttles become RateLimitedError, faults ProviderRequestError. */
async function get(options: ResolvedQuickBooksOptions, request: ListChangesRequest, url: string): Promise<unknown> {
  const { response, ok, body } = await getQuickBooksJson(options, request, url);
  const throttled = response.status === 429 || (body !== undefined ? faultErrors(body).some(isThrottleFaultError) : isThrottleBody(response.text));
  if (throttled) throw quickBooksThrottled(response, { fallbackMs: options.limits.defaultRetryAfterMs, monthlyQuotaResetAt: options.monthlyQuotaResetAt });
  if (!ok) throw httpError(response.status, response.text);
  const fault = pick(body, "fault");
  if (fault !== undefined) throw faultError(fault);
  if (body === undefined) throw new ProviderRequestError("QuickBooks answered a body that is not JSON", { retryable: true, providerStatus: response.status });
  return body;
}

/** A CDC or query row as a change: `status: "Deleted"` rows are deletions. */
function toChange(row: unknown): ProviderChange | null {
  const id = pick(row, "id");
  const updated = Date.parse(String(pick(pick(row, "metadata"), "lastupdatedtime") ?? ""));
  if ((typeof id !== "string" && typeof id !== "number") || Number.isNaN(updated)) return null;
  const deleted = String(pick(row, "status") ?? "").toLowerCase() === "deleted";
  return { entityId: String(id), deleted, occurredAt: new Date(updated), data: deleted ? null : row };
}
