/**
 * The QuickBooks query language as the fake QuickBooks serves it: `select * from Entity [where
 * conditions on Id, Active and MetaData.LastUpdatedTime] [orderby MetaData.LastUpdatedTime]
 * [startposition n] [maxresults n]`, name-list entities' active-only
 * default, ids compared as numbers, and the batch response's 1,000-object cap.
 */
/** A per-item fault, shaped like the sample response in Intuit's Batch API reference. */
export interface QuickBooksFault {
  type: string;
  Error: { Message: string; Detail: string; code: string; element?: string }[];
}

const QUERY_PATTERN =
  /^\s*select\s+\*\s+from\s+([A-Za-z][A-Za-z0-9]*)(?:\s+where\s+(.+?))?(?:\s+orderby\s+(MetaData\.LastUpdatedTime)(?:\s+asc)?)?(?:\s+startposition\s+(\d+))?(?:\s+maxresults\s+(\d+))?\s*$/i;
const UPDATED = /^MetaData\.LastUpdatedTime\s*(>=|<=|>|<)\s*'([^']+)'$/i;
const ID_IN = /^Id\s*in\s*\(([^)]*)\)$/i;
const ID_EQUALS = /^Id\s*=\s*'([^']*)'$/i;
const ACTIVE_IN = /^Active\s*in\s*\(\s*(true|false)\s*(?:,\s*(true|false)\s*)?\)$/i;
const ACTIVE_EQUALS = /^Active\s*=\s*(true|false)$/i;

/**
 * Name-list entities: they carry `Active`, and a query that does not filter on it returns active
 * records only, as QuickBooks does ("select * from Customer" leaves inactive customers out).
 */
const LIST_ENTITIES = new Set(
  [
    "Account",
    "Class",
    "CompanyCurrency",
    "Customer",
    "Department",
    "Employee",
    "Item",
    "JournalCode",
    "PaymentMethod",
    "TaxCode",
    "TaxRate",
    "Term",
    "Vendor",
  ].map((name) => name.toLowerCase()),
);

/** QuickBooks ids are numbers: `000000011` and `11` are one record. */
export function idKey(id: string): string {
  const trimmed = id.trim();
  return /^\d+$/.test(trimmed) ? trimmed.replace(/^0+(?=\d)/, "") : trimmed.toLowerCase();
}

/** True for a name-list entity (its queries return active records unless asked otherwise). */
export function isListEntity(entity: string): boolean {
  return LIST_ENTITIES.has(entity.toLowerCase());
}

export interface ParsedQuery {
  entity: string;
  /** Ids of an `Id in (...)` / `Id = '...'` condition; undefined when the query names none. */
  ids?: string[];
  /** Values of an `Active` condition; undefined when the query names none. */
  active?: boolean[];
  /** Conditions on `MetaData.LastUpdatedTime` (ms). */
  updated?: { op: ">=" | "<=" | ">" | "<"; at: number }[];
  /** `orderby MetaData.LastUpdatedTime` (ascending). */
  orderByUpdated?: boolean;
  startPosition?: number;
  maxResults?: number;
}

/** The subset of QuickBooks' query language the fake serves: conditions on Id and Active joined by `and`. */
export function parseQuery(query: string): ParsedQuery | undefined {
  const match = QUERY_PATTERN.exec(query);
  if (match === null) return undefined;
  const [, entity = "", where, orderBy, start, max] = match;
  const parsed: ParsedQuery = { entity };
  if (orderBy !== undefined) parsed.orderByUpdated = true;
  for (const condition of where === undefined ? [] : where.split(/\s+and\s+/i)) {
    const text = condition.trim();
    const inList = ID_IN.exec(text);
    const single = ID_EQUALS.exec(text);
    const activeIn = ACTIVE_IN.exec(text);
    const activeEquals = ACTIVE_EQUALS.exec(text);
    const updated = UPDATED.exec(text);
    if (updated !== null) {
      const time = Date.parse(updated[2] as string);
      if (Number.isNaN(time)) return undefined;
      (parsed.updated ??= []).push({ op: updated[1] as ">=" | "<=" | ">" | "<", at: time });
    } else if (inList !== null) parsed.ids = [...(inList[1] as string).matchAll(/'([^']*)'/g)].map((found) => found[1] as string);
    else if (single !== null) parsed.ids = [single[1] as string];
    else if (activeIn !== null)
      parsed.active = [activeIn[1], activeIn[2]].filter((value) => value !== undefined).map((value) => value.toLowerCase() === "true");
    else if (activeEquals !== null) parsed.active = [(activeEquals[1] as string).toLowerCase() === "true"];
    else return undefined;
  }
  if (start !== undefined) parsed.startPosition = Number(start);
  if (max !== undefined) parsed.maxResults = Number(max);
  return parsed;
}

/** Cuts a query answer's rows to what the response cap has left, and counts what it keeps. */
export function capObjects(
  answer: { QueryResponse: unknown } | { Fault: QuickBooksFault },
  left: () => number,
  use: (count: number) => void,
): { QueryResponse: unknown } | { Fault: QuickBooksFault } {
  if (!("QueryResponse" in answer)) return answer;
  const response = answer.QueryResponse as Record<string, unknown>;
  const key = Object.keys(response).find((name) => Array.isArray(response[name]));
  if (key === undefined) return answer;
  const rows = response[key] as unknown[];
  const kept = rows.slice(0, Math.max(0, left()));
  use(kept.length);
  if (kept.length === rows.length) return answer;
  return { QueryResponse: kept.length === 0 ? {} : { ...response, [key]: kept, maxResults: kept.length } };
}

/** True when `row`'s `MetaData.LastUpdatedTime` meets every condition of `query`. */
export function meetsUpdatedConditions(row: Record<string, unknown>, query: ParsedQuery): boolean {
  const time = updatedAt(row);
  return (query.updated ?? []).every(({ op, at }) => (op === ">=" ? time >= at : op === ">" ? time > at : op === "<=" ? time <= at : time < at));
}

/** A record's `MetaData.LastUpdatedTime` in ms. */
export function updatedAt(row: Record<string, unknown>): number {
  return Date.parse(String((row.MetaData as { LastUpdatedTime?: string } | undefined)?.LastUpdatedTime ?? ""));
}
