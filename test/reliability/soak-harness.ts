/**
 * The soak: a steady stream of signed QuickBooks webhooks POSTed over loopback HTTP to an inbox
 * backed by a durable store, with a fault mix injected all along (provider resets, stalls, 500s,
 * malformed answers, throttles; handler throws and hangs; replays; unsigned requests). Then the
 * stream stops, faults stop, and the run waits until every acknowledged webhook's events are final.
 *
 * Used by test/reliability/soak.test.ts (short form) and scripts/soak.ts (long form).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type WebhookStore, createWebhookInbox } from "webhook-inbox";
import { quickbooks } from "webhook-inbox/quickbooks";
import { SqliteStore } from "webhook-inbox/sqlite";
import { quickBooksClassicPayload, startFakeQuickBooks } from "webhook-inbox/testing";
import { silentLogger, startFaultProxy } from "./support.ts";

export type FaultKind =
  | "provider-reset"
  | "provider-stall"
  | "provider-500"
  | "provider-malformed"
  | "provider-throttle"
  | "handler-throw"
  | "handler-hang"
  | "replay"
  | "unsigned";

export interface SoakOptions {
  /** How long webhooks are sent. */
  readonly durationMs: number;
  /** Webhooks per second. */
  readonly ratePerSecond: number;
  /** Chance that a given send is accompanied by a fault (0..1). @default 0.1 */
  readonly faultRate?: number;
  /** `sqlite` (a file in os.tmpdir()) or `postgres` (needs `databaseUrl`). @default "sqlite" */
  readonly store?: "sqlite" | "postgres";
  readonly databaseUrl?: string;
  /** Longest wait, after sending stops, for every acknowledged event to be final. @default 60_000 */
  readonly settleTimeoutMs?: number;
  /** Called about once a second with progress. */
  readonly onProgress?: (line: string) => void;
}

export interface SoakFigures {
  readonly store: string;
  readonly durationMs: number;
  readonly settleMs: number;
  readonly sent: number;
  readonly acknowledged: number;
  readonly duplicatesAnswered: number;
  readonly refused: Record<string, number>;
  readonly eventsAcknowledged: number;
  readonly eventsFinal: Record<string, number>;
  /** Acknowledged deliveries missing from the store, or with an event that never reached a final status. */
  readonly lost: number;
  readonly lostIds: string[];
  /** Last errors of events that ended `failed`, by text (at most 10 kinds). */
  readonly failedReasons: Record<string, number>;
  /** Events whose handler completed successfully more than once. */
  readonly completedTwice: number;
  readonly handlerCompletions: number;
  readonly faults: Record<FaultKind, number>;
  readonly peakRssMb: number;
  readonly peakHeapMb: number;
  /** Median heap (MB) over the first and the last third of the sending phase. */
  readonly heapFirstThirdMb: number;
  readonly heapLastThirdMb: number;
}

const VERIFIER = "soak-verifier-token";
const REALMS = ["9130000000000001", "9130000000000002", "9130000000000003", "9130000000000004"];
const ENTITIES_PER_REALM = 200;
const FINAL = new Set(["succeeded", "failed", "stale"]);

const mb = (bytes: number) => Math.round((bytes / 1_048_576) * 10) / 10;
const median = (values: number[]) => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

export async function runSoak(options: SoakOptions): Promise<SoakFigures> {
  const faultRate = options.faultRate ?? 0.1;
  const progress = options.onProgress ?? (() => {});
  const faults: Record<FaultKind, number> = {
    "provider-reset": 0,
    "provider-stall": 0,
    "provider-500": 0,
    "provider-malformed": 0,
    "provider-throttle": 0,
    "handler-throw": 0,
    "handler-hang": 0,
    replay: 0,
    unsigned: 0,
  };

  // ── provider: fake QuickBooks behind a fault proxy ────────────────────────
  const fake = await startFakeQuickBooks({
    limits: { concurrency: 50, windows: [{ name: "second", limit: 1_000, intervalMs: 1_000 }] },
  });
  for (const realm of REALMS) {
    for (let id = 1; id <= ENTITIES_PER_REALM; id += 1) fake.records.set(realm, "Invoice", String(id), { TotalAmt: id });
  }
  const proxy = await startFaultProxy(fake.url);
  const provider = quickbooks({
    verifierToken: VERIFIER,
    getAccessToken: () => "soak-access-token",
    baseUrl: proxy.origin,
    limits: { tenant: { concurrency: 10, windows: [{ name: "second", limit: 500, intervalMs: 1_000 }] }, app: null, defaultRetryAfterMs: 300 },
  });

  // ── store ─────────────────────────────────────────────────────────────────
  let store: WebhookStore & { close?: () => Promise<void> };
  let cleanup: () => Promise<void>;
  if (options.store === "postgres") {
    if (!options.databaseUrl) throw new Error("the postgres soak needs databaseUrl");
    const { default: pg } = await import("pg");
    const { PostgresStore } = await import("webhook-inbox/postgres");
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
    const schema = `wi_soak_${randomBytes(5).toString("hex")}`;
    store = new PostgresStore({ pool, schema });
    cleanup = async () => {
      await pool.query(`drop schema if exists "${schema}" cascade`);
      await pool.end();
    };
  } else {
    const dir = mkdtempSync(join(tmpdir(), "wi-soak-"));
    const sqlite = new SqliteStore({ filename: join(dir, "soak.sqlite") });
    store = sqlite;
    cleanup = async () => {
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    };
  }

  // ── inbox + handler with its own faults ──────────────────────────────────
  const completions = new Map<string, number>();
  let handlerThrowNext = 0;
  let handlerHangNext = 0;
  const inbox = createWebhookInbox({
    store,
    integrations: { qbo: { provider, mode: "immediate" } },
    handler: async (event, context) => {
      if (handlerHangNext > 0) {
        handlerHangNext -= 1;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2_000);
          context.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve();
          });
        });
        if (context.signal.aborted) return; // timed out: the inbox already recorded the attempt as failed
      }
      if (handlerThrowNext > 0) {
        handlerThrowNext -= 1;
        throw new Error("soak: handler fault");
      }
      completions.set(event.id, (completions.get(event.id) ?? 0) + 1);
    },
    maxAttempts: 20,
    retryDelay: { baseMs: 50, factor: 2, maxMs: 1_000, jitter: 0.5 },
    fetchTimeoutMs: 400,
    handlerTimeoutMs: 300,
    pollIntervalMs: 100,
    leaseMs: 5_000,
    logger: silentLogger,
  });
  inbox.on("error", () => {});
  await inbox.start();

  // ── the HTTP front door: a thin translator to receive() ──────────────────
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      void inbox.receive({ integration: "qbo", rawBody: Buffer.concat(chunks), headers: request.headers, method: request.method ?? "POST" }).then((answer) => {
        response.writeHead(answer.status, answer.headers);
        response.end(answer.body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/qbo`;

  // ── send ──────────────────────────────────────────────────────────────────
  const acknowledged = new Map<string, number>(); // deliveryId → events
  const refused: Record<string, number> = {};
  let sent = 0;
  let duplicatesAnswered = 0;
  let sequence = 0;
  const recent: { body: string; headers: Record<string, string> }[] = [];
  const heap: { at: number; heap: number }[] = [];
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
    return usage;
  };
  const started = Date.now();
  const gc = (globalThis as { gc?: () => void }).gc;
  const sampler = setInterval(() => {
    // The fake keeps a log of every call it answered: the harness's memory, not the inbox's.
    fake.calls.reset();
    // With --expose-gc the samples measure what is live, not what the collector has not reached yet.
    gc?.();
    const usage = sample();
    heap.push({ at: Date.now() - started, heap: usage.heapUsed });
  }, 250);

  let injected = 0;
  let sends = 0;
  const injectFault = () => {
    const kinds: FaultKind[] = [
      "provider-reset",
      "provider-stall",
      "provider-500",
      "provider-malformed",
      "provider-throttle",
      "handler-throw",
      "handler-hang",
      "replay",
      "unsigned",
    ];
    // Round-robin: every kind is injected, in equal shares, whatever the run's length.
    const kind = kinds[injected % kinds.length]!;
    injected += 1;
    faults[kind] += 1;
    switch (kind) {
      case "provider-reset":
        proxy.arm("reset");
        break;
      case "provider-stall":
        proxy.arm("stall");
        break;
      case "provider-500":
        fake.failNextRequest({ status: 500, body: "soak 500" });
        break;
      case "provider-malformed":
        fake.failNextRequest({ status: 200, body: '{"BatchItemResponse": [', contentType: "application/json" });
        break;
      case "provider-throttle":
        fake.throttleNext({ retryAfterSeconds: 0 });
        break;
      case "handler-throw":
        handlerThrowNext += 1;
        break;
      case "handler-hang":
        handlerHangNext += 1;
        break;
      case "replay":
      case "unsigned":
        return kind;
    }
    return kind;
  };

  const post = async (body: string, headers: Record<string, string>) => {
    sent += 1;
    const response = await fetch(endpoint, { method: "POST", body, headers });
    const text = await response.text();
    return { status: response.status, text };
  };

  const sendOne = async () => {
    // Evenly spaced faults (one every 1/faultRate sends): the mix is the same on every run.
    sends += 1;
    const every = faultRate > 0 ? Math.max(1, Math.round(1 / faultRate)) : Number.POSITIVE_INFINITY;
    const fault = sends % every === 0 ? injectFault() : undefined;
    if (fault === "unsigned") {
      const { body } = quickBooksClassicPayload(VERIFIER, [{ realmId: REALMS[0]!, name: "Invoice", id: "1" }]);
      const answer = await post(body, { "content-type": "application/json", "intuit-signature": "bm90IGEgc2lnbmF0dXJl" });
      refused[String(answer.status)] = (refused[String(answer.status)] ?? 0) + 1;
      if (answer.status !== 401) throw new Error(`unsigned webhook answered ${answer.status}`);
      return;
    }
    if (fault === "replay" && recent.length > 0) {
      const again = recent[Math.floor(Math.random() * recent.length)]!;
      const answer = await post(again.body, again.headers);
      if (answer.status < 300 && JSON.parse(answer.text).status === "duplicate") duplicatesAnswered += 1;
      else refused[String(answer.status)] = (refused[String(answer.status)] ?? 0) + 1;
      return;
    }
    sequence += 1;
    const changes = Array.from({ length: 1 + (sequence % 3) }, (_, index) => ({
      realmId: REALMS[(sequence + index) % REALMS.length]!,
      name: "Invoice",
      id: String(1 + ((sequence * 7 + index * 13) % ENTITIES_PER_REALM)),
      operation: "Update",
      // Unique per webhook: the dedupe key is built from the changes.
      lastUpdated: new Date(Date.UTC(2030, 0, 1) + sequence * 1_000 + index).toISOString(),
    }));
    const webhook = quickBooksClassicPayload(VERIFIER, changes);
    const answer = await post(webhook.body, webhook.headers);
    if (answer.status === 200) {
      const parsed = JSON.parse(answer.text) as { deliveryId: string; events: number; status: string };
      if (parsed.status === "accepted") acknowledged.set(parsed.deliveryId, parsed.events);
      else duplicatesAnswered += 1;
      recent.push(webhook);
      if (recent.length > 50) recent.shift();
    } else {
      refused[String(answer.status)] = (refused[String(answer.status)] ?? 0) + 1;
    }
  };

  const intervalMs = 1_000 / options.ratePerSecond;
  const inFlight = new Set<Promise<void>>();
  let nextAt = Date.now();
  let lastProgress = Date.now();
  while (Date.now() - started < options.durationMs) {
    const work = sendOne().catch((error: unknown) => {
      refused.error = (refused.error ?? 0) + 1;
      const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
      progress(`send failed: ${error instanceof Error ? error.message : String(error)}${cause}`);
    });
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
    nextAt += intervalMs;
    const wait = nextAt - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (Date.now() - lastProgress >= 1_000) {
      lastProgress = Date.now();
      const counts = await inbox.countEvents({}).catch(() => []);
      const open = counts.filter((row) => !FINAL.has(row.status)).reduce((sum, row) => sum + row.count, 0);
      progress(
        `${Math.round((Date.now() - started) / 1000)}s sent=${sent} acked=${acknowledged.size} open=${open} heap=${mb(process.memoryUsage().heapUsed)}MB`,
      );
    }
  }
  await Promise.allSettled([...inFlight]);
  const sendingMs = Date.now() - started;
  clearInterval(sampler);
  const third = sendingMs / 3;
  const heapFirst = median(heap.filter((s) => s.at < third).map((s) => s.heap));
  const heapLast = median(heap.filter((s) => s.at >= 2 * third).map((s) => s.heap));

  // ── settle: faults off, wait for every acknowledged event to be final ────
  const settleStart = Date.now();
  const settleTimeout = options.settleTimeoutMs ?? 60_000;
  for (;;) {
    sample();
    const counts = await inbox.countEvents({});
    const open = counts.filter((row) => !FINAL.has(row.status)).reduce((sum, row) => sum + row.count, 0);
    if (open === 0 || Date.now() - settleStart > settleTimeout) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const settleMs = Date.now() - settleStart;

  // ── audit ─────────────────────────────────────────────────────────────────
  const lostIds: string[] = [];
  let eventsAcknowledged = 0;
  const eventsFinal: Record<string, number> = {};
  const failedReasons: Record<string, number> = {};
  for (const [deliveryId, expected] of acknowledged) {
    eventsAcknowledged += expected;
    const delivery = await inbox.getDelivery(deliveryId);
    const events = await inbox.listEvents({ deliveryId, limit: 100 });
    const final = events.items.filter((event) => FINAL.has(event.status));
    for (const event of events.items) {
      eventsFinal[event.status] = (eventsFinal[event.status] ?? 0) + 1;
      if (event.status === "failed") {
        const reason = (event.lastError ?? "(none)").slice(0, 120);
        if (reason in failedReasons || Object.keys(failedReasons).length < 10) failedReasons[reason] = (failedReasons[reason] ?? 0) + 1;
      }
    }
    if (!delivery || events.items.length !== expected || final.length !== expected) lostIds.push(deliveryId);
  }
  let completedTwice = 0;
  let handlerCompletions = 0;
  for (const count of completions.values()) {
    handlerCompletions += count;
    if (count > 1) completedTwice += 1;
  }

  await inbox.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await proxy.close();
  await fake.close();
  await cleanup();

  return {
    store: options.store ?? "sqlite",
    durationMs: sendingMs,
    settleMs,
    sent,
    acknowledged: acknowledged.size,
    duplicatesAnswered,
    refused,
    eventsAcknowledged,
    eventsFinal,
    lost: lostIds.length,
    lostIds: lostIds.slice(0, 20),
    failedReasons,
    completedTwice,
    handlerCompletions,
    faults,
    peakRssMb: mb(peakRss),
    peakHeapMb: mb(peakHeap),
    heapFirstThirdMb: mb(heapFirst),
    heapLastThirdMb: mb(heapLast),
  };
}
