// The fake QuickBooks Online API server: routes, auth, per-realm limits and injected faults.
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  bearerToken,
  FakeCallCounters,
  FakeRecordStore,
  FaultPlan,
  listenOnLoopback,
  readBody,
  sleep,
  SlidingWindows,
  type FakeRateWindow,
  type FakeProviderApi,
} from "./fake-api-kit.ts";
import { answerCdc } from "./fake-quickbooks-cdc.ts";
import { capObjects, idKey, isListEntity, meetsUpdatedConditions, parseQuery, updatedAt, type QuickBooksFault } from "./fake-quickbooks-query.ts";
export type { QuickBooksFault } from "./fake-quickbooks-query.ts";
import { QUICKBOOKS_MONTHLY_QUOTA_FAULT, QUICKBOOKS_THROTTLE_FAULT_XML, SYSTEM_FAULT, fault, throttleJson } from "./fake-quickbooks-faults.ts";
export { QUICKBOOKS_MONTHLY_QUOTA_FAULT, QUICKBOOKS_THROTTLE_FAULT_XML } from "./fake-quickbooks-faults.ts";

/** Limits the fake enforces per realm. Windows named `batch-…` count batch calls only. */
export interface FakeQuickBooksLimits {
  concurrency: number;
  windows: FakeRateWindow[];
}

/** Intuit's published limits (developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles). */
export const FAKE_QUICKBOOKS_DEFAULT_LIMITS: FakeQuickBooksLimits = {
  concurrency: 10,
  windows: [
    { name: "second", limit: 10, intervalMs: 1_000 },
    { name: "minute", limit: 500, intervalMs: 60_000 },
    { name: "batch-minute", limit: 40, intervalMs: 60_000 },
  ],
};

export interface FakeQuickBooksOptions {
  /** Multiplies every limit window: 0.01 makes a minute 600 ms. @default 1 */
  timeScale?: number;
  /** The fake's clock in ms. @default Date.now */
  now?: () => number;
  /** Items one batch request may hold. @default 30 */
  maxItemsPerBatch?: number;
  /** Rows one query returns at most. @default 1000 */
  maxResultsPerQuery?: number;
  /**
   * Objects one batch response returns at most, over all its items ("The maximum number of objects
   * that can be returned in a response is 1000", Intuit's Batch reference). Rows past the cap are
   * cut off the answer silently, so a client that asks for more sees records that exist as absent.
   * @default 1000
   */
  maxObjectsPerBatchResponse?: number;
  /**
   * Objects of one entity type a CDC answer holds at most ("The response holds at most 1,000 objects",
   * Intuit's ChangeDataCapture page). Past the cap, the fake keeps the objects changed earliest. @default 1000
   */
  maxCdcObjectsPerEntity?: number;
  /** Limits per realm (partial: unspecified parts keep Intuit's values). */
  limits?: Partial<FakeQuickBooksLimits>;
  /** Which tokens are valid. @default any non-empty Bearer token */
  isTokenValid?: (token: string, realmId: string) => boolean;
  /** Status of a throttle: 429 today, 403 in older QuickBooks answers. @default 429 */
  throttleStatus?: 429 | 403;
  /**
   * CorePlus (read) calls the workspace may make before the monthly quota answers 429 (Builder tier:
   * 500,000 a month, Intuit's limits page). Every call this fake serves is a read. @default unlimited
   */
  monthlyCorePlusQuota?: number;
}

/** What `throttleNext` makes the next calls answer. */
export interface QuickBooksThrottleOptions {
  /** @default 1 */
  count?: number;
  /** @default the fake's `throttleStatus` */
  status?: 429 | 403;
  /** XML (as seen in the wild) or the JSON fault form. @default "xml" */
  format?: "xml" | "json";
  /** Adds `Retry-After` (Intuit documents none). */
  retryAfterSeconds?: number;
}

/** A running fake QuickBooks Online Accounting API (endpoints `batch`, `query`, `read`; tenants are realms). */
export interface FakeQuickBooks extends FakeProviderApi<FakeQuickBooksLimits> {
  /** Batch items answered since the last `calls.reset()` (a batch call with 3 query items adds 3). */
  readonly batchItems: () => number;
  /** The next query naming `id` answers a Fault (SystemFault unless given). */
  failNext(id: string, fault?: QuickBooksFault): void;
  /** Every query naming `id` answers a Fault. */
  failAlways(id: string, fault?: QuickBooksFault): void;
  /** The next `count` calls answer the throttle. */
  throttleNext(options?: QuickBooksThrottleOptions): void;
  /** Uses up the monthly CorePlus quota: every call answers the quota's 429 until `resetMonthlyQuota()`. */
  exhaustMonthlyQuota(): void;
  /** A new month: the quota's count starts again. */
  resetMonthlyQuota(): void;
}

/**
 * Starts a fake QuickBooks Online API on 127.0.0.1 (random port). It serves
 * `POST /v3/company/{realmId}/batch` (query items), `GET|POST /v3/company/{realmId}/query`, `GET /v3/company/{realmId}/cdc`
 * (ChangeDataCapture: 30-day look-back, 1,000 objects per entity, deletions as `status: "Deleted"`) and
 * `GET /v3/company/{realmId}/{entity}/{id}`, checks the Bearer token (401 without one), caps batch
 * items at 30 and batch responses at 1,000 objects, returns inactive name-list records (Customer,
 * Vendor, Item, ...) only to a query that asks for them (`Active in (true, false)`), compares ids as
 * numbers (`011` is `11`), answers per-item Faults inside an HTTP 200, and enforces Intuit's per-realm limits on a
 * scalable clock, answering a breach with the 429 XML throttle fault.
 */
export async function startFakeQuickBooks(options: FakeQuickBooksOptions = {}): Promise<FakeQuickBooks> {
  const timeScale = options.timeScale ?? 1;
  const now = options.now ?? Date.now;
  const maxItems = options.maxItemsPerBatch ?? 30;
  const maxResults = options.maxResultsPerQuery ?? 1000;
  const maxObjects = options.maxObjectsPerBatchResponse ?? 1000;
  const maxCdcObjects = options.maxCdcObjectsPerEntity ?? 1000;

  let limits: FakeQuickBooksLimits = { ...FAKE_QUICKBOOKS_DEFAULT_LIMITS, ...options.limits };
  let isTokenValid = options.isTokenValid ?? ((token: string) => token.length > 0);
  const throttleStatus = options.throttleStatus ?? 429;
  let quotaLeft = options.monthlyCorePlusQuota ?? Number.POSITIVE_INFINITY;
  const calls = new FakeCallCounters();
  const faults = new FaultPlan();
  const windows = new SlidingWindows();
  const inFlight = new Map<string, number>();
  const forcedThrottles: { status: 429 | 403; format: "xml" | "json"; retryAfterSeconds: number | undefined }[] = [];
  const forcedFailures: { status: number; body: string; contentType: string }[] = [];

  const records = new FakeRecordStore<Record<string, unknown>>(
    (type) => type.toLowerCase(),
    (_type, id, data, previous) => {
      const stamp = new Date(now()).toISOString();
      const meta = (previous?.MetaData as { CreateTime?: string } | undefined) ?? {};
      return {
        ...data,
        Id: id,
        SyncToken: previous === undefined ? "0" : String(Number(previous.SyncToken ?? 0) + 1),
        domain: "QBO",
        sparse: false,
        MetaData: { CreateTime: meta.CreateTime ?? stamp, LastUpdatedTime: stamp },
      };
    },
    now,
  );

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? "/", "http://fake");
    const match = /^\/v3\/company\/([^/]+)\/(batch|query|cdc|[A-Za-z]+\/[^/]+)$/.exec(url.pathname);
    const body = await readBody(request);
    if (match === null) {
      send(response, 404, "application/json", JSON.stringify(fault("ValidationFault", "Unsupported Operation", "Operation not supported by the fake", "4001")));
      return;
    }
    const realmId = decodeURIComponent(match[1] as string);
    const route = match[2] as string;
    const endpoint = route === "batch" || route === "query" || route === "cdc" ? route : "read";
    const at = now();
    const record = (status: number, ids: readonly string[], throttled = false, items?: number) =>
      calls.record({ endpoint, tenantId: realmId, status, ids, at, throttled, ...(items === undefined ? {} : { items }) });

    // Work out what the call asks for before answering, so every answer is counted with its ids.
    let queries: { bId: string; query: string }[] = [];
    let parseError: string | undefined;
    if (endpoint === "batch") {
      try {
        const parsed = JSON.parse(body) as { BatchItemRequest?: unknown };
        if (!Array.isArray(parsed.BatchItemRequest)) parseError = "BatchItemRequest must be an array";
        else {
          queries = parsed.BatchItemRequest.map((item: { bId?: unknown; Query?: unknown }) => ({
            bId: String(item.bId ?? ""),
            query: typeof item.Query === "string" ? item.Query : "",
          }));
        }
      } catch {
        parseError = "Request body is not valid JSON";
      }
    } else if (endpoint === "query") {
      queries = [{ bId: "", query: request.method === "GET" ? (url.searchParams.get("query") ?? "") : body }];
    }
    const ids = endpoint === "read" ? [decodeURIComponent(route.split("/")[1] as string)] : queries.flatMap((item) => parseQuery(item.query)?.ids ?? []);

    const token = bearerToken(request);
    if (token === undefined || !isTokenValid(token, realmId)) {
      record(401, ids);
      send(
        response,
        401,
        "application/json",
        JSON.stringify({
          fault: {
            error: [{ message: "message=AuthenticationFailed; errorCode=003200; statusCode=401", detail: "Token expired or invalid", code: "3200" }],
            type: "AUTHENTICATION",
          },
          time: new Date(at).toISOString(),
        }),
      );
      return;
    }
    if (quotaLeft <= 0) {
      record(429, ids, true);
      send(response, 429, "application/json", JSON.stringify({ ...QUICKBOOKS_MONTHLY_QUOTA_FAULT, time: new Date(at).toISOString() }));
      return;
    }
    quotaLeft -= 1;
    const forced = forcedFailures.shift();
    if (forced !== undefined) {
      record(forced.status, ids);
      send(response, forced.status, forced.contentType, forced.body);
      return;
    }
    const throttle = forcedThrottles.shift() ?? breach(realmId, endpoint, at);
    if (throttle !== undefined) {
      record(throttle.status, ids, true);
      const headers: Record<string, string> = {};
      if (throttle.retryAfterSeconds !== undefined) headers["retry-after"] = String(throttle.retryAfterSeconds);
      if (throttle.format === "xml") send(response, throttle.status, "application/xml", QUICKBOOKS_THROTTLE_FAULT_XML, headers);
      else send(response, throttle.status, "application/json", JSON.stringify(throttleJson(at)), headers);
      return;
    }

    for (const window of applicableWindows(endpoint)) windows.take(realmId, window, at);
    inFlight.set(realmId, (inFlight.get(realmId) ?? 0) + 1);
    try {
      const stallMs = faults.stallMs(ids);
      if (stallMs > 0) await sleep(stallMs);
      const answer = answerCall(endpoint, realmId, route, queries, parseError, at, url);
      record(answer.status, ids, false, endpoint === "batch" && answer.status === 200 ? queries.length : undefined);
      send(response, answer.status, "application/json", JSON.stringify(answer.body));
    } finally {
      inFlight.set(realmId, (inFlight.get(realmId) ?? 1) - 1);
    }
  };

  function applicableWindows(endpoint: string): FakeRateWindow[] {
    return limits.windows.filter((window) => endpoint === "batch" || !window.name.startsWith("batch"));
  }

  /** The throttle a call meets at `at`, if any limit is reached. */
  function breach(realmId: string, endpoint: string, at: number) {
    const full =
      (inFlight.get(realmId) ?? 0) >= limits.concurrency ||
      applicableWindows(endpoint).some((window) => windows.remaining(realmId, window, at, timeScale) === 0);
    return full ? { status: throttleStatus, format: "xml" as const, retryAfterSeconds: undefined } : undefined;
  }

  function answerCall(
    endpoint: string,
    realmId: string,
    route: string,
    queries: { bId: string; query: string }[],
    parseError: string | undefined,
    at: number,
    url: URL,
  ): { status: number; body: unknown } {
    const time = new Date(at).toISOString();
    if (endpoint === "read") {
      const [entity = "", id = ""] = route.split("/");
      const wanted = idKey(decodeURIComponent(id));
      // A read by id returns the record whether active or not.
      const row = records.list(realmId, entity).find((candidate) => idKey(String(candidate.Id)) === wanted);
      if (row === undefined) {
        return {
          status: 400,
          body: { ...fault("ValidationFault", "Object Not Found", `Object Not Found : Something you're trying to use has been made inactive.`, "610"), time },
        };
      }
      return { status: 200, body: { [capitalise(entity)]: row, time } };
    }
    if (endpoint === "cdc") return answerCdc({ records, realmId, url, at, maxObjects: maxCdcObjects });
    if (parseError !== undefined)
      return { status: 400, body: { ...fault("ValidationFault", "Request has invalid or unsupported property", parseError, "2010"), time } };
    if (endpoint === "query") {
      const item = runQuery(realmId, queries[0]?.query ?? "");
      return "Fault" in item ? { status: 400, body: { ...item, time } } : { status: 200, body: { ...item, time } };
    }
    // The item cap: Intuit's business rule "maximum number of payloads in a single BatchItemRequest is 30".
    // The exact fault text for a breach is not published; this fake answers a ValidationFault 2010.
    if (queries.length > maxItems) {
      return {
        status: 400,
        body: {
          ...fault(
            "ValidationFault",
            "Request has invalid or unsupported property",
            `Batch size ${queries.length} exceeds the maximum of ${maxItems} BatchItemRequest items`,
            "2010",
          ),
          time,
        },
      };
    }
    let objectsLeft = maxObjects;
    const items = queries.map((item) => {
      if (item.query === "") return { bId: item.bId, ...fault("ValidationFault", "Operation not supported", "The fake serves query items only", "2010") };
      const answer = runQuery(realmId, item.query);
      return {
        bId: item.bId,
        ...capObjects(
          answer,
          () => objectsLeft,
          (used) => (objectsLeft -= used),
        ),
      };
    });
    return { status: 200, body: { BatchItemResponse: items, time } };
  }

  function runQuery(realmId: string, query: string): { QueryResponse: unknown } | { Fault: QuickBooksFault } {
    const parsed = parseQuery(query);
    if (parsed === undefined) {
      return fault("ValidationFault", "Error parsing query", `QueryParserError: Encountered an unsupported query: ${query.slice(0, 80)}`, "4000");
    }
    const failure = faults.takeFailure(parsed.ids ?? []);
    if (failure !== undefined) return { Fault: (failure.detail as QuickBooksFault | undefined) ?? SYSTEM_FAULT };
    if (faults.isMalformed(parsed.ids ?? [])) return { QueryResponse: { [parsed.entity]: "<malformed>" } };
    let rows = records.list(realmId, parsed.entity);
    if (parsed.ids !== undefined) {
      const wanted = new Set(parsed.ids.map(idKey));
      rows = rows.filter((row) => wanted.has(idKey(String(row.Id))));
    }
    if (isListEntity(parsed.entity)) {
      const active = parsed.active ?? [true];
      rows = rows.filter((row) => active.includes(row.Active !== false));
    }
    if (parsed.updated !== undefined) rows = rows.filter((row) => meetsUpdatedConditions(row, parsed));
    if (parsed.orderByUpdated) rows = [...rows].sort((a, b) => updatedAt(a) - updatedAt(b));
    const start = Math.max(1, parsed.startPosition ?? 1);
    // QuickBooks' default page is 100 rows; it never returns more than 1000.
    const pageSize = Math.min(parsed.maxResults ?? 100, maxResults);
    const page = rows.slice(start - 1, start - 1 + pageSize);
    return { QueryResponse: page.length === 0 ? {} : { [parsed.entity]: page, startPosition: start, maxResults: page.length } };
  }

  const server = await listenOnLoopback(handle);
  return {
    url: server.origin,
    records,
    calls,
    batchItems: () => calls.log.reduce((sum, call) => sum + (call.items ?? 0), 0),
    failNext: (id, detail) => faults.failNext(id, 1, detail),
    failAlways: (id, detail) => faults.failAlways(id, detail),
    stall: (id, ms) => faults.stall(id, ms),
    malformed: (id) => faults.malformed(id),
    clearFaults: () => {
      faults.clear();
      forcedThrottles.length = 0;
      forcedFailures.length = 0;
    },
    reset: () => {
      faults.clear();
      forcedThrottles.length = 0;
      forcedFailures.length = 0;
      windows.clear();
      calls.reset();
      records.clear();
    },
    exhaustMonthlyQuota: () => {
      quotaLeft = 0;
    },
    resetMonthlyQuota: () => {
      quotaLeft = options.monthlyCorePlusQuota ?? Number.POSITIVE_INFINITY;
    },
    throttleNext: (throttle = {}) => {
      for (let index = 0; index < (throttle.count ?? 1); index += 1) {
        forcedThrottles.push({ status: throttle.status ?? throttleStatus, format: throttle.format ?? "xml", retryAfterSeconds: throttle.retryAfterSeconds });
      }
    },
    failNextRequest: (answer) => {
      for (let index = 0; index < (answer.count ?? 1); index += 1) {
        forcedFailures.push({ status: answer.status, body: answer.body ?? "", contentType: answer.contentType ?? "text/plain" });
      }
    },
    setLimits: (next) => {
      limits = { ...limits, ...next };
    },
    setTokenValidator: (next) => {
      isTokenValid = next;
    },
    inFlight: (realmId) => inFlight.get(realmId) ?? 0,
    close: server.close,
  };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function send(response: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "content-type": contentType, intuit_tid: `fake-${Date.now().toString(36)}`, ...headers });
  response.end(body);
}
