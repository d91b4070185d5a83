/**
 * 1. Ingest: signed webhooks over HTTP on 127.0.0.1, autocannon with 50 connections, every server
 * variant in its own child process. Measured in alternating short rounds (bare, inbox, …, bare,
 * inbox, … again), so load drifting on a shared machine hits the baseline and the variants alike.
 *
 * The headline figure is the capacity ratio: the bare server's CPU per request divided by the
 * variant's CPU per request, counting everything the request causes — the server process and, for
 * PostgreSQL, its backends and WAL writer; for BullMQ, the persisting Redis. CPU comes from
 * /proc/<pid>/stat, so the load generator's share of the 2 cores does not cap the baseline.
 */
import autocannon from "autocannon";
import { startChild, type BenchChild } from "./lib/child.ts";
import type { BenchConfig } from "./lib/config.ts";
import { INGEST_WORKLOADS, requestFactory, WORKLOAD_LABELS, type IngestRequest, type IngestWorkload } from "./lib/ingest-payloads.ts";
import type { IngestVariant } from "./lib/ingest-variants.ts";
import { startPersistentRedis, type PersistentRedis } from "./lib/persistent-redis.ts";
import { canReadProcCpu, cpuSecondsOf, snapshot, spentSince } from "./lib/proc-cpu.ts";
import { PROFILE_DIR } from "./lib/profile.ts";
import { fmt, machine, since, type ResultRow, type SectionResult } from "./lib/report.ts";
import { postgresPids } from "./lib/stores.ts";

const LABELS: Record<IngestVariant, string> = {
  "fastify-bare": "bare Fastify (parse JSON, 202; stores nothing)",
  "express-bare": "bare Express (express.json(), 202; stores nothing)",
  "fastify-inbox-discard": "ceiling: webhook-inbox Fastify, a store that keeps nothing (verify, parse, build events; no store can beat it)",
  "fastify-inbox-memory": "webhook-inbox Fastify + MemoryStore (delivery log, dedupe, events)",
  "fastify-inbox-sqlite": "webhook-inbox Fastify + SqliteStore FULL (fsynced: delivery log, dedupe, events)",
  "fastify-inbox-sqlite-normal": "webhook-inbox Fastify + SqliteStore NORMAL (for comparison)",
  "fastify-inbox-postgres": "webhook-inbox Fastify + PostgresStore (delivery log, dedupe, events)",
  "express-inbox-memory": "webhook-inbox Express + MemoryStore",
  "fastify-bullmq": "DIY Fastify + HMAC + BullMQ add, Redis appendfsync everysec (one job per webhook)",
};

/** Targets: capacity ratios against the bare framework, per workload. */
const TARGETS: Record<IngestWorkload, Partial<Record<IngestVariant, number>>> = {
  "one-entity": { "fastify-inbox-memory": 0.55, "fastify-inbox-sqlite": 0.4, "fastify-inbox-postgres": 0.3 },
  "mixed-1-10": { "fastify-inbox-memory": 0.45, "fastify-inbox-sqlite": 0.25, "fastify-inbox-postgres": 0.2 },
};

/** One variant's figures in one round. */
export interface IngestRound {
  readonly variant: IngestVariant;
  readonly workload: IngestWorkload;
  readonly round: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  /** Entity changes named by the requests generated in this round (answered or not). */
  readonly entitiesSent: number;
  /** CPU seconds of the server process, of its database (PostgreSQL backends, Redis), and of the load generator. */
  readonly serverCpu: number;
  readonly databaseCpu: number;
  readonly loadGeneratorCpu: number;
  readonly loadavg: number;
}

interface RunningVariant {
  readonly variant: IngestVariant;
  readonly child: BenchChild;
  readonly port: number;
  /** Process ids of the database work this variant causes, found afresh at each round. */
  databasePids(): Promise<number[]>;
  /** One request generator per workload, kept across rounds so every request stays distinct. */
  readonly generators: Map<IngestWorkload, () => IngestRequest>;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function load(
  target: RunningVariant,
  workload: IngestWorkload,
  seconds: number,
  connections: number,
): Promise<{ result: autocannon.Result; entitiesSent: number }> {
  let generator = target.generators.get(workload);
  if (!generator) {
    generator = requestFactory(workload);
    target.generators.set(workload, generator);
  }
  const next = generator;
  let entitiesSent = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${target.port}`,
    connections,
    duration: seconds,
    requests: [
      {
        method: "POST",
        setupRequest: (request) => {
          const { body, headers, path, entities } = next();
          entitiesSent += entities;
          return { ...request, path, body, headers: { ...request.headers, ...headers } };
        },
      },
    ],
  });
  return { result, entitiesSent };
}

async function measureRound(target: RunningVariant, workload: IngestWorkload, round: number, config: BenchConfig): Promise<IngestRound> {
  const dbPids = await target.databasePids();
  const server = target.child.process.pid!;
  const before = snapshot([server, process.pid, ...dbPids]);
  const { result, entitiesSent } = await load(target, workload, config.ingest.seconds, config.ingest.connections);
  const serverCpu = spentSince(new Map([[server, before.get(server)!]]));
  const loadGeneratorCpu = cpuSecondsOf(process.pid) - before.get(process.pid)!;
  // A backend that started during the round counts from zero; one that ended is counted up to its last reading.
  const dbAfter = await target.databasePids();
  const dbBefore = new Map([...before].filter(([pid]) => pid !== server && pid !== process.pid));
  const databaseCpu = spentSince(dbBefore, dbAfter);
  return {
    variant: target.variant,
    workload,
    round,
    requestsPerSecond: result["2xx"] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ok: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors,
    entitiesSent,
    serverCpu,
    databaseCpu,
    loadGeneratorCpu,
    loadavg: machine().loadavg[0]!,
  };
}

async function startVariant(variant: IngestVariant, redis: PersistentRedis | null): Promise<RunningVariant> {
  const applicationName = `webhook-inbox-bench-${process.pid}-${variant}`;
  const argument = variant === "fastify-bullmq" ? redis!.url : variant === "fastify-inbox-postgres" ? applicationName : undefined;
  const child = startChild("ingest-server.ts", argument ? [variant, argument] : [variant]);
  const { port } = await child.next<{ type: "ready"; port: number }>("ready", 60_000);
  const databasePids =
    variant === "fastify-inbox-postgres" ? () => postgresPids(applicationName) : variant === "fastify-bullmq" ? async () => [redis!.pid] : async () => [];
  return { variant, child, port, databasePids, generators: new Map() };
}

async function storedBy(target: RunningVariant): Promise<number> {
  target.child.send({ type: "count" });
  const { stored } = await target.child.next<{ type: "count"; stored: number }>("count");
  return stored;
}

/** CPU microseconds per answered request: server + database. */
function cpuPerRequest(round: IngestRound): number {
  return round.ok > 0 ? ((round.serverCpu + round.databaseCpu) * 1e6) / round.ok : Number.NaN;
}

/** Runs the variants in alternating rounds per workload and compares each with its bare framework. */
export async function runIngest(config: BenchConfig): Promise<SectionResult> {
  const started = performance.now();
  const failures: string[] = [];
  if (!canReadProcCpu()) failures.push("ingest: /proc/<pid>/stat cannot be read here, so CPU per request cannot be measured (Linux only)");
  const chosen = config.ingest.variants;
  const fastifyVariants = (
    [
      "fastify-inbox-discard",
      "fastify-inbox-memory",
      "fastify-inbox-sqlite",
      "fastify-inbox-postgres",
      "fastify-bullmq",
      ...(config.ingest.express ? (["fastify-inbox-sqlite-normal"] as const) : []),
    ] as IngestVariant[]
  ).filter((variant) => !chosen || chosen.includes(variant));
  const expressVariants = (config.ingest.express ? (["express-inbox-memory"] as IngestVariant[]) : []).filter((variant) => !chosen || chosen.includes(variant));
  let redis: PersistentRedis | null = null;
  if (fastifyVariants.includes("fastify-bullmq")) {
    try {
      redis = await startPersistentRedis();
    } catch (error) {
      console.log(`  ingest: ${String(error)}; the BullMQ row is left out`);
      fastifyVariants.splice(fastifyVariants.indexOf("fastify-bullmq"), 1);
    }
  }
  const all: IngestVariant[] = [
    "fastify-bare",
    ...fastifyVariants,
    ...(expressVariants.length > 0 ? (["express-bare", ...expressVariants] as IngestVariant[]) : []),
  ];
  const running: RunningVariant[] = [];
  const rounds: IngestRound[] = [];
  const stored = new Map<IngestVariant, { before: number; after: number; ok: number; entitiesSent: number }>();
  try {
    // All servers stay up for the whole section; each is warmed first (a fresh Node process compiles and
    // collects for seconds), so the rounds compare warm servers only.
    for (const variant of all) {
      const target = await startVariant(variant, redis);
      running.push(target);
      for (const workload of INGEST_WORKLOADS) await load(target, workload, config.ingest.warmupSeconds, config.ingest.connections);
    }
    for (const target of running) stored.set(target.variant, { before: await storedBy(target), after: 0, ok: 0, entitiesSent: 0 });
    if (PROFILE_DIR) for (const target of running) target.child.send({ type: "profile-start" });
    for (const workload of INGEST_WORKLOADS) {
      for (let round = 1; round <= config.ingest.rounds; round += 1) {
        // Each framework's variants right after its own bare run: bare, inbox, inbox, …, bare (Express), …
        for (const target of running) {
          const figure = await measureRound(target, workload, round, config);
          rounds.push(figure);
          const counts = stored.get(target.variant)!;
          counts.ok += figure.ok;
          counts.entitiesSent += figure.entitiesSent;
          if (figure.non2xx > 0 || figure.errors > 0)
            failures.push(`ingest ${target.variant} (${workload}, round ${round}): ${figure.non2xx} non-2xx answers and ${figure.errors} errors`);
        }
      }
      console.log(`  ingest ${workload} (${WORKLOAD_LABELS[workload]}): ${config.ingest.rounds} round(s) of ${running.length} variants done`);
    }
    if (PROFILE_DIR) {
      for (const target of running) {
        target.child.send({ type: "profile-stop" });
        await target.child.next("profiled");
      }
    }
    for (const target of running) stored.get(target.variant)!.after = await storedBy(target);
  } finally {
    await Promise.all(running.map((target) => target.child.stop()));
    await redis?.stop();
  }
  // Every acknowledged webhook must be stored: the inbox stores one event per entity change, BullMQ one job
  // per webhook, so at least one per acknowledged request; never more than the changes sent.
  for (const [variant, counts] of stored) {
    if (variant.includes("bare")) continue;
    const delta = counts.after - counts.before;
    const most =
      variant === "fastify-bullmq" ? counts.ok + 2 * config.ingest.connections * config.ingest.rounds * INGEST_WORKLOADS.length : counts.entitiesSent;
    if (delta < counts.ok || delta > most) failures.push(`ingest ${variant}: ${counts.ok} webhooks acknowledged but ${delta} stored`);
  }
  return {
    section: "ingest",
    rows: rowsOf(rounds),
    raw: { connections: config.ingest.connections, seconds: config.ingest.seconds, rounds, stored: Object.fromEntries(stored) },
    failures,
    seconds: since(started) / 1000,
  };
}

function rowsOf(rounds: readonly IngestRound[]): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const workload of INGEST_WORKLOADS) {
    const ofWorkload = rounds.filter((round) => round.workload === workload);
    const bareOf = (variant: IngestVariant, round: number) =>
      ofWorkload.find((candidate) => candidate.round === round && candidate.variant === (variant.startsWith("express") ? "express-bare" : "fastify-bare"));
    const capacityOf = (variant: IngestVariant) =>
      ofWorkload
        .filter((round) => round.variant === variant)
        .map((round) => {
          const bare = bareOf(variant, round.round);
          return bare ? cpuPerRequest(bare) / cpuPerRequest(round) : Number.NaN;
        })
        .filter((value) => Number.isFinite(value));
    const bullmq = capacityOf("fastify-bullmq");
    const bullmqMedian = bullmq.length > 0 ? median(bullmq) : null;
    const variants = [...new Set(ofWorkload.map((round) => round.variant))];
    for (const variant of variants) {
      const mine = ofWorkload.filter((round) => round.variant === variant);
      const capacity = capacityOf(variant);
      const cpu = mine.map(cpuPerRequest);
      const database = mine.map((round) => (round.ok > 0 ? (round.databaseCpu * 1e6) / round.ok : 0));
      const generator = mine.map((round) => (round.ok > 0 ? (round.loadGeneratorCpu * 1e6) / round.ok : 0));
      const spread = (values: readonly number[], digits = 2) =>
        values.length > 1 ? ` (min ${Math.min(...values).toFixed(digits)}, max ${Math.max(...values).toFixed(digits)})` : "";
      const target = TARGETS[workload][variant];
      const isInbox = variant.includes("inbox") && variant.startsWith("fastify");
      const capacityMedian = capacity.length > 0 ? median(capacity) : Number.NaN;
      const aheadOfBullmq = bullmqMedian === null ? null : capacityMedian > bullmqMedian;
      rows.push({
        section: `1 ingest, ${workload}`,
        variant: LABELS[variant],
        figure:
          `${fmt(median(mine.map((round) => round.requestsPerSecond)))} req/s; CPU ${fmt(median(cpu))} µs/req${spread(cpu, 0)}` +
          (median(database) > 0 ? ` incl. database ${fmt(median(database))}` : "") +
          `; load generator ${fmt(median(generator))} µs/req; p99 ${fmt(median(mine.map((round) => round.p99Ms)))} ms (max ${fmt(Math.max(...mine.map((round) => round.p99Ms)))}); ` +
          `${capacity.length > 1 ? `capacity${spread(capacity)}; ` : ""}load ${median(mine.map((round) => round.loadavg)).toFixed(1)}`,
        ratio: variant.includes("bare") ? 1 : capacityMedian,
        ...(target === undefined ? {} : { target: `capacity ≥ ${target.toFixed(2)} of bare${isInbox ? ", > BullMQ" : ""}` }),
        met: target === undefined ? null : capacityMedian >= target && aheadOfBullmq !== false,
      });
    }
  }
  return rows;
}
