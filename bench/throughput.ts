/**
 * 4. End-to-end throughput: events/s from claim to completion, instant provider, no-op handler, every
 * variant in its own child process(es): MemoryStore, SqliteStore, PostgresStore with 1 worker and with
 * 4 worker processes on one schema; beside them pg-boss 10 (same PostgreSQL) and BullMQ (local Redis)
 * doing the same work one job per event.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChild, type BenchChild } from "./lib/child.ts";
import type { BenchConfig } from "./lib/config.ts";
import { loadEvents } from "./lib/load-events.ts";
import { fmt, since, type ResultRow, type SectionResult } from "./lib/report.ts";
import { dropSchema, openStore, uniqueName, type StoreKind } from "./lib/stores.ts";

interface Figure {
  readonly variant: string;
  readonly events: number;
  readonly ms: number;
  readonly eventsPerSecond: number;
  readonly completed: number;
}

/** Starts children, waits until all are ready, says go to all at once, and times until the last is done. */
async function race(children: BenchChild[]): Promise<{ ms: number; done: Record<string, unknown>[] }> {
  try {
    await Promise.all(children.map((child) => child.next("ready", 300_000)));
    const started = performance.now();
    for (const child of children) child.send({ type: "go" });
    const done = await Promise.all(children.map((child) => child.next("done", 300_000)));
    return { ms: since(started), done };
  } finally {
    await Promise.all(children.map((child) => child.stop()));
  }
}

async function inboxVariant(kind: StoreKind, events: number, workers: number): Promise<Figure> {
  const variant = `webhook-inbox + ${kind === "memory" ? "MemoryStore" : kind === "sqlite" ? "SqliteStore" : "PostgresStore"}, ${workers} worker${workers > 1 ? " processes" : ""}`;
  const location = kind === "postgres" ? uniqueName("bench_tp") : kind === "sqlite" ? join(tmpdir(), `${uniqueName("webhook-inbox-bench-tp")}.sqlite`) : "-";
  const owner = kind === "memory" ? null : openStore(kind, kind === "postgres" ? { schema: location } : { filename: location });
  try {
    let children: BenchChild[];
    if (workers === 1) {
      children = [startChild("drain-worker.ts", [kind, location, String(events)])];
    } else {
      // Several workers on one schema: the events are loaded first, then every worker drains.
      await owner!.store.migrate();
      await loadEvents(owner!.store, events);
      children = Array.from({ length: workers }, () => startChild("drain-worker.ts", [kind, location, "0"]));
    }
    const { ms, done } = await race(children);
    let completed = done.reduce((sum, message) => sum + Number(message.succeeded), 0);
    if (owner) {
      const counts = await owner.store.countEvents({});
      completed = counts.filter((row) => row.status === "succeeded").reduce((sum, row) => sum + row.count, 0);
    }
    return { variant, events, ms, eventsPerSecond: events / (ms / 1000), completed };
  } finally {
    await owner?.dispose();
  }
}

async function queueVariant(system: "pgboss" | "bullmq", events: number, concurrency: number): Promise<Figure> {
  const location = system === "pgboss" ? uniqueName("bench_pgboss") : uniqueName("bench-tp");
  try {
    const child = startChild("queue-worker.ts", [system, location, String(events), String(concurrency)]);
    const { ms, done } = await race([child]);
    const variant =
      system === "pgboss" ? "pg-boss 10, 4 workers × batchSize 500 (job per event)" : `BullMQ, 1 worker × concurrency ${concurrency} (job per event)`;
    return { variant, events, ms, eventsPerSecond: events / (ms / 1000), completed: Number(done[0]!.completed) };
  } finally {
    if (system === "pgboss") await dropSchema(location);
  }
}

/** Runs the end-to-end throughput measurement (section 4). */
export async function runThroughput(config: BenchConfig): Promise<SectionResult> {
  const started = performance.now();
  const events = config.throughput.events;
  const figures: Figure[] = [];
  const failures: string[] = [];
  const runs: (() => Promise<Figure>)[] = [
    () => inboxVariant("memory", events, 1),
    () => inboxVariant("sqlite", events, 1),
    () => inboxVariant("postgres", events, 1),
    () => inboxVariant("postgres", events, 4),
    () => queueVariant("pgboss", events, 0),
    () => queueVariant("bullmq", events, config.throughput.bullmqConcurrency),
  ];
  for (const run of runs) {
    const figure = await run();
    figures.push(figure);
    console.log(`  throughput ${figure.variant}: ${fmt(figure.eventsPerSecond)} events/s (${fmt(figure.events)} in ${fmt(figure.ms)} ms)`);
    if (figure.completed !== figure.events) failures.push(`throughput ${figure.variant}: ${figure.completed} of ${figure.events} events completed`);
  }
  const pgBoss = figures.find((figure) => figure.variant.startsWith("pg-boss"))!;
  const rows: ResultRow[] = figures.map((figure) => {
    const isPg4 = figure.variant.includes("PostgresStore, 4");
    return {
      section: "4 throughput",
      variant: figure.variant,
      figure: `${fmt(figure.eventsPerSecond)} events/s (${fmt(figure.events)} in ${fmt(figure.ms / 1000, 2)} s)`,
      ratio: figure.eventsPerSecond / pgBoss.eventsPerSecond,
      ...(isPg4 ? { target: "> pg-boss (ratio > 1)", met: figure.eventsPerSecond > pgBoss.eventsPerSecond } : {}),
    };
  });
  return { section: "throughput", rows, raw: { events, ratioBase: "pg-boss", figures }, failures, seconds: since(started) / 1000 };
}
