/**
 * 1. Ingest: signed QuickBooks webhooks over HTTP on 127.0.0.1, autocannon with 50 connections,
 * every server variant in its own child process (the same for all, so the load generator never
 * shares an event loop with the server it measures). Ratios are against the bare framework.
 */
import autocannon from "autocannon";
import { quickBooksClassicPayload } from "../src/testing/index.ts";
import { INGEST_PATH, type IngestVariant } from "./lib/ingest-variants.ts";
import { startChild, type BenchChild } from "./lib/child.ts";
import type { BenchConfig } from "./lib/config.ts";
import { PROFILE_DIR } from "./lib/profile.ts";
import { fmt, ratio, since, type ResultRow, type SectionResult } from "./lib/report.ts";
import { QBO_VERIFIER_TOKEN } from "./lib/workload.ts";

const LABELS: Record<IngestVariant, string> = {
  "fastify-bare": "bare Fastify (parse JSON, 202)",
  "express-bare": "bare Express (express.json(), 202)",
  "fastify-inbox-memory": "webhook-inbox Fastify + MemoryStore",
  "fastify-inbox-sqlite": "webhook-inbox Fastify + SqliteStore (FULL)",
  "fastify-inbox-sqlite-normal": "webhook-inbox Fastify + SqliteStore (NORMAL, for comparison)",
  "fastify-inbox-postgres": "webhook-inbox Fastify + PostgresStore",
  "express-inbox-memory": "webhook-inbox Express + MemoryStore",
  "fastify-bullmq": "DIY Fastify + HMAC + BullMQ add",
};

/** Targets as ratios of the bare framework. */
const TARGETS: Partial<Record<IngestVariant, number>> = {
  "fastify-inbox-memory": 0.8,
  "fastify-inbox-sqlite": 0.5,
  "fastify-inbox-postgres": 0.4,
};

/** Raw figures of one server variant. */
export interface IngestFigures {
  readonly variant: IngestVariant;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly stored: number;
}

/** Every request is a distinct, correctly signed classic webhook naming one entity change. */
function makeRequestFactory() {
  let counter = 0;
  const realms = ["9130000000000001", "9130000000000002", "9130000000000003", "9130000000000004"];
  const types = ["Invoice", "Customer", "Payment"];
  const base = Date.UTC(2025, 0, 6, 9);
  return () => {
    counter += 1;
    const { body, headers } = quickBooksClassicPayload(QBO_VERIFIER_TOKEN, [
      {
        realmId: realms[counter % realms.length]!,
        name: types[counter % types.length]!,
        id: String(100_000 + counter),
        operation: "Update",
        lastUpdated: new Date(base + counter).toISOString(),
      },
    ]);
    return { body, headers };
  };
}

async function load(port: number, seconds: number, connections: number, next: ReturnType<typeof makeRequestFactory>): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests: [
      {
        method: "POST",
        path: INGEST_PATH,
        setupRequest: (request) => {
          const { body, headers } = next();
          return { ...request, body, headers: { ...request.headers, ...headers } };
        },
      },
    ],
  });
}

async function measure(variant: IngestVariant, child: BenchChild, ready: Promise<number>, config: BenchConfig): Promise<IngestFigures> {
  try {
    const port = await ready;
    const next = makeRequestFactory();
    const warm = await load(port, config.ingest.warmupSeconds, config.ingest.connections, next);
    // With BENCH_PROFILE_DIR set, the server profiles exactly the measured run.
    if (PROFILE_DIR) child.send({ type: "profile-start" });
    const result = await load(port, config.ingest.seconds, config.ingest.connections, next);
    if (PROFILE_DIR) {
      child.send({ type: "profile-stop" });
      await child.next("profiled");
    }
    child.send({ type: "count" });
    const { stored } = await child.next<{ type: "count"; stored: number }>("count");
    return {
      variant,
      requestsPerSecond: result["2xx"] / result.duration,
      p50Ms: result.latency.p50,
      p90Ms: result.latency.p90,
      p99Ms: result.latency.p99,
      ok: warm["2xx"] + result["2xx"],
      non2xx: warm.non2xx + result.non2xx,
      errors: warm.errors + result.errors,
      stored,
    };
  } finally {
    await child.stop();
  }
}

/** Runs the ingest variants one after the other and compares each with its bare framework. */
export async function runIngest(config: BenchConfig): Promise<SectionResult> {
  const started = performance.now();
  const chosen = config.ingest.variants;
  const variants = ([
    "fastify-bare",
    "fastify-inbox-memory",
    "fastify-inbox-sqlite",
    "fastify-inbox-postgres",
    "fastify-bullmq",
    ...(config.ingest.express || chosen ? (["fastify-inbox-sqlite-normal", "express-bare", "express-inbox-memory"] as const) : []),
  ] as IngestVariant[]).filter((variant) => !chosen || variant === "fastify-bare" || chosen.includes(variant));
  // The baseline again at the end (full runs): on a shared machine the load drifts during the section,
  // and every ratio uses the mean of both baseline runs.
  if (!config.quick) variants.push("fastify-bare");
  const figures: IngestFigures[] = [];
  const failures: string[] = [];
  // One server at a time: started, measured, stopped. (Starting them all at once and measuring in turn
  // halved the first figures: freshly started Node processes keep compiling and collecting for seconds.)
  for (const variant of variants) {
    const child = startChild("ingest-server.ts", [variant]);
    const ready = child.next<{ type: "ready"; port: number }>("ready", 60_000).then((message) => message.port);
    const figure = await measure(variant, child, ready, config);
    figures.push(figure);
    console.log(`  ingest ${LABELS[variant]}: ${fmt(figure.requestsPerSecond)} req/s, p50 ${figure.p50Ms} ms, p99 ${figure.p99Ms} ms`);
    if (figure.non2xx > 0 || figure.errors > 0) failures.push(`ingest ${variant}: ${figure.non2xx} non-2xx answers and ${figure.errors} errors`);
    // Every acknowledged webhook must be stored (one change per webhook): fewer is a lost event. A few more
    // is normal: requests in flight when autocannon stops (up to one per connection per run) are stored
    // but not counted as answered.
    const inFlight = 2 * config.ingest.connections;
    if (figure.stored < figure.ok || figure.stored > figure.ok + inFlight) {
      failures.push(`ingest ${variant}: ${figure.ok} webhooks acknowledged but ${figure.stored} stored`);
    }
  }
  const byVariant = new Map(figures.map((figure) => [figure.variant, figure]));
  const baselines = figures.filter((figure) => figure.variant === "fastify-bare");
  const fastify = baselines.reduce((sum, figure) => sum + figure.requestsPerSecond, 0) / baselines.length;
  const express = byVariant.get("express-bare")?.requestsPerSecond;
  const bullmq = byVariant.get("fastify-bullmq")?.requestsPerSecond ?? 0;
  const rows: ResultRow[] = figures.map((figure, index) => {
    const base = figure.variant.startsWith("express") ? express : fastify;
    const share = base === undefined ? null : ratio(figure.requestsPerSecond, base);
    const target = TARGETS[figure.variant];
    const aheadOfBullmq = figure.variant.includes("inbox") && figure.variant.startsWith("fastify") ? figure.requestsPerSecond > bullmq : null;
    return {
      section: "1 ingest",
      variant: figure.variant === "fastify-bare" && baselines.length > 1 ? `${LABELS[figure.variant]}${index === 0 ? " — first" : " — again, last"}` : LABELS[figure.variant],
      figure: `${fmt(figure.requestsPerSecond)} req/s, p50 ${figure.p50Ms} ms, p99 ${figure.p99Ms} ms`,
      ratio: share,
      target: target === undefined ? undefined : `≥ ${target.toFixed(2)} of bare, > BullMQ`,
      met: target === undefined || share === null ? null : share >= target && aheadOfBullmq === true,
    };
  });
  return {
    section: "ingest",
    rows,
    raw: { connections: config.ingest.connections, seconds: config.ingest.seconds, fastifyBaseline: fastify, figures },
    failures,
    seconds: since(started) / 1000,
  };
}
