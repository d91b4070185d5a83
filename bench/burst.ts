/**
 * 6. Burst: 20,000 distinct signed webhooks fired at 500 connections, as a provider's catch-up after an
 * outage arrives, at each server variant in its own child process (with --expose-gc). Reports the peak
 * heap and RSS while the burst is in flight, what stays retained after it (per stored event), how many
 * requests were refused with 503 because they were beyond `maxInFlightReceives` (default 256), and the
 * p99 acknowledgement time. Every webhook answered 2xx must be stored.
 */
import autocannon from "autocannon";
import { startChild, type BenchChild } from "./lib/child.ts";
import type { BenchConfig } from "./lib/config.ts";
import { type IngestRequest, requestFactory } from "./lib/ingest-payloads.ts";
import type { IngestVariant } from "./lib/ingest-variants.ts";
import { fmt, since, type ResultRow, type SectionResult } from "./lib/report.ts";

const VARIANTS = ["fastify-bare", "fastify-inbox-memory", "fastify-inbox-sqlite", "fastify-inbox-postgres"] as const satisfies readonly IngestVariant[];

const LABELS: Record<(typeof VARIANTS)[number], string> = {
  "fastify-bare": "bare Fastify (parse JSON, 202; stores nothing)",
  "fastify-inbox-memory": "webhook-inbox Fastify + MemoryStore (keeps every event in the heap)",
  "fastify-inbox-sqlite": "webhook-inbox Fastify + SqliteStore FULL",
  "fastify-inbox-postgres": "webhook-inbox Fastify + PostgresStore",
};

/** What a burst may add to a durable store's process at its peak: in-flight bodies and one commit group, not the burst. */
const DURABLE_PEAK_HEAP_MIB = 128;

interface Memory {
  readonly heapUsedMiB: number;
  readonly rssMiB: number;
}

export interface BurstFigure {
  readonly variant: (typeof VARIANTS)[number];
  readonly webhooks: number;
  readonly connections: number;
  readonly ok: number;
  readonly refused: number;
  readonly errors: number;
  readonly p99Ms: number;
  readonly seconds: number;
  readonly stored: number;
  readonly idle: Memory;
  readonly peak: { readonly peakHeapMiB: number; readonly peakRssMiB: number };
  readonly after: Memory;
}

async function memoryOf(child: BenchChild): Promise<Memory> {
  child.send({ type: "memory" });
  const { heapUsedMiB, rssMiB } = await child.next<{ type: "memory"; heapUsedMiB: number; rssMiB: number }>("memory");
  return { heapUsedMiB, rssMiB };
}

async function storedBy(child: BenchChild): Promise<number> {
  child.send({ type: "count" });
  return (await child.next<{ type: "count"; stored: number }>("count")).stored;
}

/** Fires `webhooks` requests from `next` (one generator per server, so every webhook is distinct). */
async function fire(port: number, webhooks: number, connections: number, next: () => IngestRequest): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    amount: webhooks,
    timeout: 30,
    requests: [
      {
        method: "POST",
        setupRequest: (request) => {
          const { body, headers, path } = next();
          return { ...request, path, body, headers: { ...request.headers, ...headers } };
        },
      },
    ],
  });
}

async function measure(variant: (typeof VARIANTS)[number], webhooks: number, connections: number): Promise<BurstFigure> {
  const argument = variant === "fastify-inbox-postgres" ? [`webhook-inbox-bench-burst-${process.pid}`] : [];
  const child = startChild("ingest-server.ts", [variant, ...argument], ["--expose-gc"]);
  try {
    const { port } = await child.next<{ type: "ready"; port: number }>("ready", 60_000);
    // Warm the server (JIT, pools) with a small burst of other webhooks, then read its idle memory.
    const next = requestFactory("one-entity");
    await fire(port, Math.min(1_000, webhooks), 50, next);
    const idle = await memoryOf(child);
    const storedBefore = await storedBy(child);
    child.send({ type: "peak-start" });
    const started = performance.now();
    const result = await fire(port, webhooks, connections, next);
    const seconds = since(started) / 1000;
    child.send({ type: "peak-stop" });
    const peak = await child.next<{ type: "peak"; peakHeapMiB: number; peakRssMiB: number }>("peak");
    const after = await memoryOf(child);
    const stored = (await storedBy(child)) - storedBefore;
    return {
      variant,
      webhooks,
      connections,
      ok: result["2xx"],
      refused: result.non2xx,
      errors: result.errors + result.timeouts,
      p99Ms: result.latency.p99,
      seconds,
      stored,
      idle,
      peak: { peakHeapMiB: peak.peakHeapMiB, peakRssMiB: peak.peakRssMiB },
      after,
    };
  } finally {
    await child.stop();
  }
}

function rowOf(figure: BurstFigure): ResultRow {
  const peakHeapOver = figure.peak.peakHeapMiB - figure.idle.heapUsedMiB;
  const retainedBytes = ((figure.after.heapUsedMiB - figure.idle.heapUsedMiB) * 1024 * 1024) / Math.max(1, figure.stored);
  const durable = figure.variant === "fastify-inbox-sqlite" || figure.variant === "fastify-inbox-postgres";
  return {
    section: "6 burst",
    variant: `${LABELS[figure.variant]}, ${fmt(figure.webhooks)} webhooks at ${fmt(figure.connections)} connections`,
    figure:
      `${fmt(figure.ok)} × 2xx, ${fmt(figure.refused)} × 503 (beyond maxInFlightReceives), ${fmt(figure.errors)} errors in ${fmt(figure.seconds, 1)} s; p99 ${fmt(figure.p99Ms)} ms; ` +
      `peak heap ${fmt(figure.peak.peakHeapMiB, 1)} MiB (+${fmt(peakHeapOver, 1)} over idle), peak RSS ${fmt(figure.peak.peakRssMiB)} MiB (idle ${fmt(figure.idle.rssMiB)}); ` +
      (figure.variant === "fastify-bare" ? "nothing stored" : `retained after GC ${fmt(retainedBytes)} B per stored event`),
    ratio: null,
    ...(durable
      ? { target: `peak heap over idle < ${DURABLE_PEAK_HEAP_MIB} MiB; p99 < 3 s`, met: peakHeapOver < DURABLE_PEAK_HEAP_MIB && figure.p99Ms < 3_000 }
      : {}),
  };
}

/** Runs the burst measurement (section 6). */
export async function runBurst(config: BenchConfig): Promise<SectionResult> {
  const started = performance.now();
  const { webhooks, connections } = config.burst;
  const failures: string[] = [];
  const figures: BurstFigure[] = [];
  for (const variant of VARIANTS) {
    const figure = await measure(variant, webhooks, connections);
    figures.push(figure);
    console.log(`  burst ${variant}: ${rowOf(figure).figure}`);
    // One entity per webhook: every acknowledged webhook is one stored event, and nothing refused is stored.
    if (variant !== "fastify-bare" && (figure.stored < figure.ok || figure.stored > figure.ok + figure.errors)) {
      failures.push(`burst ${variant}: ${figure.ok} webhooks acknowledged but ${figure.stored} events stored`);
    }
    if (figure.ok + figure.refused !== figure.webhooks) failures.push(`burst ${variant}: ${figure.errors} of ${figure.webhooks} requests got no answer`);
  }
  return { section: "burst", rows: figures.map(rowOf), raw: { webhooks, connections, figures }, failures, seconds: since(started) / 1000 };
}
