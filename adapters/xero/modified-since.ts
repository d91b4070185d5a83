/**
 * Xero reconciliation: what changed in a tenant's category, one call at a time, with `If-Modified-Since`
 * ("Only records created or modified since this timestamp will be returned", Xero Accounting OpenAPI) and
 * paging ("Up to 100 invoices" per `page`) on the list endpoints that take them (developer.xero.com, Accounting API).
 */
import { ProviderRequestError, type ChangesAnswer, type ListChangesRequest, type ProviderChange } from "../../src/index.ts";
import { xeroEndpoint, type XeroEndpoint } from "./categories.ts";
import { getXero, httpError, readRecords } from "./fetch-resources.ts";
import type { ResolvedXeroOptions } from "./options.ts";

/** Records per `page` of Invoices, Contacts, CreditNotes, BankTransactions, … (Xero's documented page). */
export const XERO_PAGE_SIZE = 100;

/** Where the window goes on: the time to ask from and the page at that time. */
interface Cursor {
  readonly since: string;
  readonly page: number;
}

/** True for a category `listXeroChanges` can reconcile (its list endpoint takes If-Modified-Since). */
export function xeroReconciles(entityType: string): boolean {
  return xeroEndpoint(entityType) !== undefined;
}

/**
 * One page of records modified since the window's start, oldest first (`order=UpdatedDateUTC ASC`). The
 * next call asks from the newest time seen rather than for the next page number: a record modified while
 * the pages are read moves to the end instead of shifting another past a page boundary. Only a full page
 * of records modified within one second (the header's precision) turns to the next page number.
 */
export async function listXeroChanges(options: ResolvedXeroOptions, request: ListChangesRequest): Promise<ChangesAnswer> {
  const endpoint = xeroEndpoint(request.entityType);
  if (endpoint === undefined)
    throw new ProviderRequestError(`Xero category ${JSON.stringify(request.entityType)} has no list endpoint to reconcile`, { retryable: false });
  const cursor = (request.cursor as Cursor | null) ?? { since: toSecond(request.since), page: 1 };
  const url = `${options.baseUrl}/${endpoint.path}?page=${cursor.page}&order=${encodeURIComponent("UpdatedDateUTC ASC")}${endpoint.path === "Contacts" || endpoint.path === "Invoices" ? "&includeArchived=true" : ""}`;
  // Xero reads the header as UTC without a zone suffix (xero-node sends `ifModifiedSince` as given).
  const response = await getXero(options, request, url, { "if-modified-since": cursor.since.replace(/\.\d{3}Z$/, "") });
  if (response.status < 200 || response.status > 299) throw httpError(response);
  const records = readRecords(response, endpoint);
  const changes = records.map((record) => toChange(record, endpoint)).filter((change): change is ProviderChange => change !== null);
  if (records.length < XERO_PAGE_SIZE || changes.length === 0) return { changes, next: null, path: "modified-since" };
  const newest = toSecond(new Date(Math.max(...changes.map((change) => change.occurredAt.getTime()))));
  if (newest > cursor.since) return { changes, next: { since: newest, page: 1 } satisfies Cursor, completeThrough: new Date(newest), path: "modified-since" };
  return { changes, next: { since: cursor.since, page: cursor.page + 1 } satisfies Cursor, path: "modified-since" };
}

/** The time as ISO, cut to its second (If-Modified-Since carries seconds): the window overlaps, never gaps. */
function toSecond(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString();
}

function toChange(record: unknown, endpoint: XeroEndpoint): ProviderChange | null {
  if (typeof record !== "object" || record === null) return null;
  const fields = record as Record<string, unknown>;
  const id = fields[endpoint.idField];
  const updated = xeroDate(fields.UpdatedDateUTC);
  if (typeof id !== "string" || Number.isNaN(updated)) return null;
  // Xero keeps deleted and voided documents as records with that Status: they are changes, not deletions.
  return { entityId: id, deleted: false, occurredAt: new Date(updated), data: record };
}

/** `/Date(1573755038314+0000)/` (Xero's JSON dates) or ISO text, as ms. */
function xeroDate(value: unknown): number {
  const match = /\/Date\((-?\d+)/.exec(String(value ?? ""));
  return match !== null ? Number(match[1]) : Date.parse(String(value ?? ""));
}
