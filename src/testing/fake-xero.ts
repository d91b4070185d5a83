import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  bearerToken,
  FakeCallCounters,
  FakeRecordStore,
  FaultPlan,
  listenOnLoopback,
  sleep,
  SlidingWindows,
  type FakeRateWindow,
  type FakeProviderApi,
} from "./fake-api-kit.ts";

/** Limits the fake enforces (Xero's published values by default: developer.xero.com/faq/limits). */
export interface FakeXeroLimits {
  /** Calls in progress per tenant. @default 5 */
  concurrency: number;
  /** Calls per tenant per minute. @default 60 */
  minute: number;
  /** Calls per tenant per day. @default 5000 */
  day: number;
  /** Calls per app per minute, all tenants together. @default 10000 */
  appMinute: number;
}

export interface FakeXeroOptions {
  /** Multiplies every limit window: 0.01 makes a minute 600 ms and a day 14.4 min. @default 1 */
  timeScale?: number;
  /** The fake's clock in ms. @default Date.now */
  now?: () => number;
  /** Limits (partial). */
  limits?: Partial<FakeXeroLimits>;
  /** Which tokens are valid. @default any non-empty Bearer token */
  isTokenValid?: (token: string, tenantId: string) => boolean;
  /** Most GUIDs an `IDs=` read accepts before Xero's 404 (52 works, 53 does not). @default 52 */
  maxIdsPerRequest?: number;
}

/** What `throttleNext` makes the next calls answer. */
export interface XeroThrottleOptions {
  /** @default 1 */
  count?: number;
  /** `X-Rate-Limit-Problem` value. @default "minute" */
  problem?: string;
  /** `Retry-After` in seconds. @default 60 (minute), 3600 (day) */
  retryAfterSeconds?: number;
}

/** A running fake Xero Accounting API (`url` ends in `/api.xro/2.0`; endpoints `Invoices`, `Contacts`, `CreditNotes/{id}`, ...). */
export interface FakeXero extends FakeProviderApi<FakeXeroLimits> {
  /** The next request naming `id` answers 500. */
  failNext(id: string): void;
  /** Every request naming `id` answers 500. */
  failAlways(id: string): void;
  /** The next `count` calls answer 429 with this problem. */
  throttleNext(options?: XeroThrottleOptions): void;
}

/** Category → path, collection key and id field, as the Accounting API names them. */
const TYPES: Record<string, { path: string; idField: string; multiId: boolean }> = {
  INVOICE: { path: "Invoices", idField: "InvoiceID", multiId: true },
  CONTACT: { path: "Contacts", idField: "ContactID", multiId: true },
  CREDITNOTE: { path: "CreditNotes", idField: "CreditNoteID", multiId: false },
};
const BY_PATH = new Map(Object.entries(TYPES).map(([category, type]) => [type.path.toLowerCase(), category]));

/** `INVOICE`, `Invoice`, `Invoices` and `invoices` all name one category. */
function normalizeCategory(type: string): string {
  const upper = type.toUpperCase();
  if (upper in TYPES) return upper;
  return BY_PATH.get(type.toLowerCase()) ?? upper;
}

const NOT_FOUND_TEXT = "The resource you're looking for cannot be found";

/**
 * Starts a fake Xero Accounting API on 127.0.0.1 (random port), under `/api.xro/2.0`. It serves
 * `GET /Invoices|Contacts?IDs=…` (404 above 52 ids, as Xero does), `GET /CreditNotes` (which, like
 * Xero, has no `IDs=`: the parameter is ignored) and `GET /{Invoices|Contacts|CreditNotes}/{id}`,
 * takes `If-Modified-Since` (records modified at or after it) and `order=UpdatedDateUTC` on the lists, pages them
 * 100 at a time (`page=`, "Up to 100 invoices" per page),
 * requires a Bearer token and `xero-tenant-id`, and enforces Xero's limits on a scalable clock:
 * a breach answers 429 with `Retry-After` and `X-Rate-Limit-Problem`; every response carries the
 * `X-MinLimit-Remaining`, `X-DayLimit-Remaining` and `X-AppMinLimit-Remaining` headers.
 */
export async function startFakeXero(options: FakeXeroOptions = {}): Promise<FakeXero> {
  const timeScale = options.timeScale ?? 1;
  const now = options.now ?? Date.now;
  const maxIds = options.maxIdsPerRequest ?? 52;
  let limits: FakeXeroLimits = { concurrency: 5, minute: 60, day: 5_000, appMinute: 10_000, ...options.limits };
  let isTokenValid = options.isTokenValid ?? ((token: string) => token.length > 0);
  const calls = new FakeCallCounters();
  const faults = new FaultPlan();
  const windows = new SlidingWindows();
  const inFlight = new Map<string, number>();
  const forcedThrottles: { problem: string; retryAfterSeconds: number }[] = [];
  const forcedFailures: { status: number; body: string; contentType: string }[] = [];

  const records = new FakeRecordStore<Record<string, unknown>>(normalizeCategory, (type, id, data) => {
    const idField = TYPES[normalizeCategory(type)]?.idField ?? "ID";
    return { ...data, [idField]: id, UpdatedDateUTC: `/Date(${now()}+0000)/` };
  });

  const tenantWindows = (): FakeRateWindow[] => [
    { name: "minute", limit: limits.minute, intervalMs: 60_000 },
    { name: "day", limit: limits.day, intervalMs: 86_400_000 },
  ];
  const appWindow = (): FakeRateWindow => ({ name: "app-minute", limit: limits.appMinute, intervalMs: 60_000 });

  const remainingHeaders = (tenantId: string, at: number): Record<string, string> => {
    const [minute, day] = tenantWindows() as [FakeRateWindow, FakeRateWindow];
    const headers: Record<string, string> = {
      "x-appminlimit-remaining": String(windows.remaining("app", appWindow(), at, timeScale)),
    };
    // Tenantless calls carry no tenant-scoped headers (Xero staff, xero-ruby#128).
    if (tenantId !== "") {
      headers["x-minlimit-remaining"] = String(windows.remaining(tenantId, minute, at, timeScale));
      headers["x-daylimit-remaining"] = String(windows.remaining(tenantId, day, at, timeScale));
    }
    return headers;
  };

  /** The limit a call meets now, with the wait Xero would announce. */
  const breach = (tenantId: string, at: number): { problem: string; retryAfterSeconds: number } | undefined => {
    // X-Rate-Limit-Problem values for the app and concurrent limits are not documented by Xero (its staff named `minute` and `day` in XeroAPI/xero-node#634).
    const app = windows.waitMs("app", appWindow(), at, timeScale);
    if (app > 0) return { problem: "appminute", retryAfterSeconds: Math.max(1, Math.ceil(app / 1000)) };
    // When several windows are full, the longest wait is the one that matters (a day beats a minute).
    let worst: { name: string; wait: number } | undefined;
    for (const window of tenantWindows()) {
      const wait = windows.waitMs(tenantId, window, at, timeScale);
      if (wait > 0 && (worst === undefined || wait > worst.wait)) worst = { name: window.name, wait };
    }
    if (worst !== undefined) return { problem: worst.name, retryAfterSeconds: Math.max(1, Math.ceil(worst.wait / 1000)) };
    if ((inFlight.get(tenantId) ?? 0) >= limits.concurrency) return { problem: "concurrent", retryAfterSeconds: 1 };
    return undefined;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    for await (const chunk of request) void chunk; // drain: GETs have no body
    const url = new URL(request.url ?? "/", "http://fake");
    const match = /^\/api\.xro\/2\.0\/([A-Za-z]+)(?:\/([^/]+))?$/.exec(url.pathname);
    const at = now();
    const tenantHeader = request.headers["xero-tenant-id"];
    const tenantId = typeof tenantHeader === "string" ? tenantHeader.trim() : "";
    const category = match === null ? undefined : BY_PATH.get((match[1] as string).toLowerCase());
    const type = category === undefined ? undefined : TYPES[category];
    const singleId = match?.[2] === undefined ? undefined : decodeURIComponent(match[2]);
    const idsParam = url.searchParams.get("IDs") ?? url.searchParams.get("ids");
    const ids =
      singleId !== undefined
        ? [singleId]
        : idsParam
          ? idsParam
              .split(",")
              .map((id) => id.trim())
              .filter(Boolean)
          : [];
    const endpoint = type === undefined ? url.pathname : singleId === undefined ? type.path : `${type.path}/{id}`;
    const reply = (status: number, body: string, contentType = "application/json", extra: Record<string, string> = {}, throttled = false) => {
      calls.record({ endpoint, tenantId, status, ids, at, throttled });
      response.writeHead(status, { "content-type": contentType, ...extra });
      response.end(body);
    };

    const token = bearerToken(request);
    if (token === undefined || !isTokenValid(token, tenantId)) {
      reply(
        401,
        JSON.stringify({ Type: null, Title: "Unauthorized", Status: 401, Detail: "AuthenticationUnsuccessful", Instance: randomUUID(), Extensions: {} }),
      );
      return;
    }
    if (type === undefined || category === undefined || request.method !== "GET") {
      reply(404, NOT_FOUND_TEXT, "text/plain");
      return;
    }
    if (tenantId === "") {
      reply(403, JSON.stringify({ Type: null, Title: "Forbidden", Status: 403, Detail: "AuthenticationUnsuccessful", Instance: randomUUID(), Extensions: {} }));
      return;
    }
    const forced = forcedFailures.shift();
    if (forced !== undefined) {
      reply(forced.status, forced.body, forced.contentType, remainingHeaders(tenantId, at));
      return;
    }
    const throttle = forcedThrottles.shift() ?? breach(tenantId, at);
    if (throttle !== undefined) {
      reply(
        429,
        "",
        "text/plain",
        { "retry-after": String(throttle.retryAfterSeconds), "x-rate-limit-problem": throttle.problem, ...remainingHeaders(tenantId, at) },
        true,
      );
      return;
    }

    windows.take("app", appWindow(), at);
    for (const window of tenantWindows()) windows.take(tenantId, window, at);
    inFlight.set(tenantId, (inFlight.get(tenantId) ?? 0) + 1);
    try {
      const headers = remainingHeaders(tenantId, at);
      // More than ~52 GUIDs make the URL too long; Xero answers 404 (xero-node#404, Xero-OpenAPI#534).
      if (type.multiId && singleId === undefined && ids.length > maxIds) {
        reply(404, NOT_FOUND_TEXT, "text/plain", headers);
        return;
      }
      const stallMs = faults.stallMs(ids);
      if (stallMs > 0) await sleep(stallMs);
      if (faults.takeFailure(ids) !== undefined) {
        reply(
          500,
          JSON.stringify({
            Title: "An error occurred",
            Detail: "An error occurred in Xero. Check the API Status page http://status.developer.xero.com for current service status.",
            Status: 500,
          }),
          "application/json",
          headers,
        );
        return;
      }
      let found: Record<string, unknown>[];
      if (singleId !== undefined) {
        const record = records.get(tenantId, category, singleId);
        if (record === undefined) {
          reply(404, NOT_FOUND_TEXT, "text/plain", headers);
          return;
        }
        found = [record];
      } else {
        // CreditNotes have no IDs parameter: like Xero, the list ignores it and pages everything.
        const all = modifiedSince(records.list(tenantId, category), request.headers["if-modified-since"], url.searchParams.get("order"));
        const wanted = new Set(ids.map((id) => id.toLowerCase()));
        const filtered = type.multiId && ids.length > 0 ? all.filter((record) => wanted.has(String(record[type.idField]).toLowerCase())) : all;
        const page = Math.max(1, Number(url.searchParams.get("page") ?? "1") || 1);
        found = filtered.slice((page - 1) * 100, page * 100);
      }
      const body = JSON.stringify({
        Id: randomUUID(),
        Status: "OK",
        ProviderName: "webhook-inbox fake",
        DateTimeUTC: `/Date(${at})/`,
        [type.path]: found,
      });
      reply(200, faults.isMalformed(ids) ? body.slice(0, Math.floor(body.length / 2)) : body, "application/json", headers);
    } finally {
      inFlight.set(tenantId, (inFlight.get(tenantId) ?? 1) - 1);
    }
  };

  const server = await listenOnLoopback(handle);
  return {
    url: `${server.origin}/api.xro/2.0`,
    records,
    calls,
    failNext: (id) => faults.failNext(id),
    failAlways: (id) => faults.failAlways(id),
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
    throttleNext: (throttle = {}) => {
      const problem = throttle.problem ?? "minute";
      const retryAfterSeconds = throttle.retryAfterSeconds ?? (problem.toLowerCase().includes("day") ? 3_600 : 60);
      for (let index = 0; index < (throttle.count ?? 1); index += 1) forcedThrottles.push({ problem, retryAfterSeconds });
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
    inFlight: (tenantId) => inFlight.get(tenantId) ?? 0,
    close: server.close,
  };
}

/** Xero's `/Date(ms+0000)/` as ms. */
function xeroDateMs(value: unknown): number {
  const match = /\/Date\((-?\d+)/.exec(String(value ?? ""));
  return match === null ? Number.NaN : Number(match[1]);
}

/** The list filtered by an `If-Modified-Since` header (at or after it) and ordered by `UpdatedDateUTC` when asked. */
function modifiedSince(all: Record<string, unknown>[], header: string | string[] | undefined, order: string | null): Record<string, unknown>[] {
  const since = typeof header === "string" ? Date.parse(/Z|[+-]\d\d:?\d\d$/.test(header) || /GMT$/.test(header) ? header : `${header}Z`) : Number.NaN;
  const kept = Number.isNaN(since) ? all : all.filter((record) => xeroDateMs(record.UpdatedDateUTC) >= since);
  if (order === null || !/^UpdatedDateUTC/i.test(order.trim())) return kept;
  const sign = /desc$/i.test(order.trim()) ? -1 : 1;
  return [...kept].sort((a, b) => sign * (xeroDateMs(a.UpdatedDateUTC) - xeroDateMs(b.UpdatedDateUTC)));
}
