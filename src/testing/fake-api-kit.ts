import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request a fake API answered. */
export interface FakeCall {
  /** Endpoint name, e.g. `batch`, `query`, `Invoices`, `CreditNotes/{id}`. */
  readonly endpoint: string;
  /** Realm / tenant the call named (`""` when none). */
  readonly tenantId: string;
  readonly status: number;
  /** Entity ids the call asked for. */
  readonly ids: readonly string[];
  /** Time of the call on the fake's clock (ms). */
  readonly at: number;
  /** Answered with the provider's throttle. */
  readonly throttled: boolean;
  /** QuickBooks batch calls: query items answered. */
  readonly items?: number;
}

/**
 * Counters of every call a fake answered (throttled and failed ones included).
 * Read them after a run to assert how many provider calls it cost.
 */
export class FakeCallCounters {
  readonly #log: FakeCall[] = [];
  /** Every call, in order. */
  get log(): readonly FakeCall[] {
    return this.#log;
  }
  /** All calls. */
  get total(): number {
    return this.#log.length;
  }
  /** Calls answered with the provider's throttle (429, or QuickBooks' 403 + 3001). */
  get throttled(): number {
    return this.#log.filter((call) => call.throttled).length;
  }
  /** Calls per endpoint name. */
  get byEndpoint(): Record<string, number> {
    return tally(this.#log.map((call) => call.endpoint));
  }
  /** Calls per tenant. */
  get byTenant(): Record<string, number> {
    return tally(this.#log.map((call) => call.tenantId));
  }
  /** Calls matching every given field. */
  count(filter: { endpoint?: string; tenantId?: string; status?: number } = {}): number {
    return this.#log.filter(
      (call) =>
        (filter.endpoint === undefined || call.endpoint === filter.endpoint) &&
        (filter.tenantId === undefined || call.tenantId === filter.tenantId) &&
        (filter.status === undefined || call.status === filter.status),
    ).length;
  }
  /** Forgets every call. */
  reset(): void {
    this.#log.length = 0;
  }
  /** @internal used by the fakes. */
  record(call: FakeCall): void {
    this.#log.push(call);
  }
}

function tally(keys: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

/** Seedable records per tenant and entity type; keys are normalised by the fake that owns them. */
export class FakeRecordStore<TRecord extends Record<string, unknown> = Record<string, unknown>> {
  readonly #data = new Map<string, Map<string, Map<string, TRecord>>>();
  /** Deleted records per tenant and type: id → deletion time (what QuickBooks' CDC reports as `status: "Deleted"`). */
  readonly #tombstones = new Map<string, Map<string, { id: string; at: number }>>();
  readonly #normalizeType: (entityType: string) => string;
  readonly #shape: (entityType: string, id: string, data: Record<string, unknown>, previous: TRecord | undefined) => TRecord;
  readonly #now: () => number;

  constructor(
    normalizeType: (entityType: string) => string,
    shape: (entityType: string, id: string, data: Record<string, unknown>, previous: TRecord | undefined) => TRecord,
    now: () => number = Date.now,
  ) {
    this.#normalizeType = normalizeType;
    this.#shape = shape;
    this.#now = now;
  }

  #tombstoneKey(tenantId: string, entityType: string): string {
    return `${tenantId}\u0000${this.#normalizeType(entityType)}`;
  }

  #table(tenantId: string, entityType: string, create: boolean): Map<string, TRecord> | undefined {
    const type = this.#normalizeType(entityType);
    let tenant = this.#data.get(tenantId);
    if (tenant === undefined) {
      if (!create) return undefined;
      tenant = new Map();
      this.#data.set(tenantId, tenant);
    }
    let table = tenant.get(type);
    if (table === undefined && create) {
      table = new Map();
      tenant.set(type, table);
    }
    return table;
  }

  /** Creates or replaces a record; the fake adds its id field and timestamps. */
  set(tenantId: string, entityType: string, id: string, data: Record<string, unknown> = {}): TRecord {
    const table = this.#table(tenantId, entityType, true) as Map<string, TRecord>;
    const record = this.#shape(entityType, id, data, undefined);
    table.set(id.toLowerCase(), record);
    this.#tombstones.get(this.#tombstoneKey(tenantId, entityType))?.delete(id.toLowerCase());
    return record;
  }

  /** Changes fields of an existing record (its version and update time move on). Throws when absent. */
  update(tenantId: string, entityType: string, id: string, patch: Record<string, unknown>): TRecord {
    const table = this.#table(tenantId, entityType, false);
    const previous = table?.get(id.toLowerCase());
    if (table === undefined || previous === undefined) throw new Error(`no ${entityType} ${id} in tenant ${tenantId}`);
    const record = this.#shape(entityType, id, { ...previous, ...patch }, previous);
    table.set(id.toLowerCase(), record);
    return record;
  }

  /** Removes a record; true when it existed. */
  delete(tenantId: string, entityType: string, id: string): boolean {
    const removed = this.#table(tenantId, entityType, false)?.delete(id.toLowerCase()) ?? false;
    if (removed) {
      const key = this.#tombstoneKey(tenantId, entityType);
      if (!this.#tombstones.has(key)) this.#tombstones.set(key, new Map());
      this.#tombstones.get(key)!.set(id.toLowerCase(), { id, at: this.#now() });
    }
    return removed;
  }

  /** Records deleted from one tenant and type, with the time of their deletion (ms), oldest first. */
  deleted(tenantId: string, entityType: string): { id: string; at: number }[] {
    return [...(this.#tombstones.get(this.#tombstoneKey(tenantId, entityType))?.values() ?? [])].sort((a, b) => a.at - b.at);
  }

  get(tenantId: string, entityType: string, id: string): TRecord | undefined {
    return this.#table(tenantId, entityType, false)?.get(id.toLowerCase());
  }

  /** Records of one tenant and type, in insertion order. */
  list(tenantId: string, entityType: string): TRecord[] {
    return [...(this.#table(tenantId, entityType, false)?.values() ?? [])];
  }

  /** Seeds many records at once (`data` may depend on the id). */
  seed(tenantId: string, entityType: string, ids: readonly string[], data?: (id: string) => Record<string, unknown>): TRecord[] {
    return ids.map((id) => this.set(tenantId, entityType, id, data?.(id) ?? {}));
  }

  /** Forgets everything. */
  clear(): void {
    this.#data.clear();
    this.#tombstones.clear();
  }
}

/**
 * What every fake provider API lets a test do, whatever the provider: reach it, seed it, count its
 * calls and inject the faults common to both. Each fake adds its own failure and throttle knobs.
 */
export interface FakeProviderApi<TLimits> {
  /** Base URL to pass as the provider's `baseUrl`. */
  readonly url: string;
  /** Records per tenant and entity type. */
  readonly records: FakeRecordStore;
  /** Every call answered, per endpoint and tenant. */
  readonly calls: FakeCallCounters;
  /** A call naming `id` answers `ms` later. */
  stall(id: string, ms: number): void;
  /** A call naming `id` answers 200 with a body that is not the documented shape. */
  malformed(id: string): void;
  /** Forgets injected faults, stalls and forced answers. */
  clearFaults(): void;
  /** Back to a fresh server: no records, calls, faults or used rate budget (limits and token check stay). */
  reset(): void;
  /** The next `count` calls answer this status and body. */
  failNextRequest(answer: { status: number; body?: string; contentType?: string; count?: number }): void;
  /** Changes the enforced limits (partial). */
  setLimits(limits: Partial<TLimits>): void;
  setTokenValidator(isTokenValid: (token: string, tenantId: string) => boolean): void;
  /** Calls in flight now, per tenant. */
  inFlight(tenantId: string): number;
  close(): Promise<void>;
}

/** What a fault injected for an id does. */
interface FaultState {
  failNext: Map<string, { count: number; detail?: unknown }>;
  failAlways: Map<string, unknown>;
  stall: Map<string, number>;
  malformed: Set<string>;
}

/** Per-id fault injection shared by the fakes. Ids match case-insensitively. */
export class FaultPlan {
  readonly #state: FaultState = { failNext: new Map(), failAlways: new Map(), stall: new Map(), malformed: new Set() };

  failNext(id: string, count = 1, detail?: unknown): void {
    this.#state.failNext.set(id.toLowerCase(), { count, detail });
  }
  failAlways(id: string, detail?: unknown): void {
    this.#state.failAlways.set(id.toLowerCase(), detail);
  }
  stall(id: string, ms: number): void {
    this.#state.stall.set(id.toLowerCase(), ms);
  }
  malformed(id: string): void {
    this.#state.malformed.add(id.toLowerCase());
  }
  clear(): void {
    this.#state.failNext.clear();
    this.#state.failAlways.clear();
    this.#state.stall.clear();
    this.#state.malformed.clear();
  }
  /** The failure for a request naming these ids (consumes a `failNext`), or undefined. */
  takeFailure(ids: readonly string[]): { detail: unknown } | undefined {
    for (const raw of ids) {
      const id = raw.toLowerCase();
      if (this.#state.failAlways.has(id)) return { detail: this.#state.failAlways.get(id) };
      const next = this.#state.failNext.get(id);
      if (next !== undefined) {
        if (next.count <= 1) this.#state.failNext.delete(id);
        else next.count -= 1;
        return { detail: next.detail };
      }
    }
    return undefined;
  }
  /** Longest stall among these ids (ms), 0 when none. */
  stallMs(ids: readonly string[]): number {
    return Math.max(0, ...ids.map((id) => this.#state.stall.get(id.toLowerCase()) ?? 0));
  }
  isMalformed(ids: readonly string[]): boolean {
    return ids.some((id) => this.#state.malformed.has(id.toLowerCase()));
  }
}

/** A rate window as the fakes enforce it. */
export interface FakeRateWindow {
  readonly name: string;
  readonly limit: number;
  /** Length in provider time (scaled by `timeScale`). */
  readonly intervalMs: number;
}

/** Sliding-window counters keyed by scope (tenant id or "app") and window name. */
export class SlidingWindows {
  readonly #hits = new Map<string, number[]>();

  #recent(key: string, now: number, intervalMs: number): number[] {
    const hits = (this.#hits.get(key) ?? []).filter((at) => at > now - intervalMs);
    this.#hits.set(key, hits);
    return hits;
  }

  /** Calls left in a window at `now`. */
  remaining(scope: string, window: FakeRateWindow, now: number, timeScale: number): number {
    return Math.max(0, window.limit - this.#recent(`${scope}\u0000${window.name}`, now, window.intervalMs * timeScale).length);
  }

  /** Real ms until the window has room again (0 when it has room). */
  waitMs(scope: string, window: FakeRateWindow, now: number, timeScale: number): number {
    const interval = window.intervalMs * timeScale;
    const hits = this.#recent(`${scope}\u0000${window.name}`, now, interval);
    if (hits.length < window.limit) return 0;
    return (hits[hits.length - window.limit] as number) + interval - now;
  }

  /** Counts one call in a window. */
  take(scope: string, window: FakeRateWindow, now: number): void {
    const key = `${scope}\u0000${window.name}`;
    const hits = this.#hits.get(key) ?? [];
    hits.push(now);
    this.#hits.set(key, hits);
  }

  clear(): void {
    this.#hits.clear();
  }
}

/** A node:http server on 127.0.0.1, port 0. */
export async function listenOnLoopback(
  handler: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
): Promise<{ server: Server; origin: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    handler(request, response).catch((error: unknown) => {
      // A bug in the fake must not hang the client: answer 500 and say why.
      if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
      response.end(`fake server error: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Reads a request body whole. */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The Bearer token of a request, or undefined. */
export function bearerToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
