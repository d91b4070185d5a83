/**
 * 5. Memory and scale: RSS and heap with a large backlog queued in each store (after a full GC), the
 * peak while draining it (the processor should hold one page of claimed events, not the backlog), and
 * how drain time grows from the small backlog to the large one (linear growth means a ratio equal to
 * the size ratio). Each run is a fresh child process with --expose-gc; while draining it collects and
 * samples the live heap every 100 ms (the same small overhead in every run).
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChild } from "./lib/child.ts";
import type { BenchConfig } from "./lib/config.ts";
import { fmt, since, type ResultRow, type SectionResult } from "./lib/report.ts";
import { dropSchema, uniqueName, type StoreKind, STORE_KINDS } from "./lib/stores.ts";

interface MemoryFigure {
  readonly kind: StoreKind;
  readonly events: number;
  readonly loadMs: number;
  readonly drainMs: number;
  readonly succeeded: number;
  /** After migrate, before loading (MiB). */
  readonly baseline: { rssMiB: number; heapUsedMiB: number };
  /** With the backlog queued (MiB). */
  readonly queued: { rssMiB: number; heapUsedMiB: number };
  readonly peakRssMiB: number;
  readonly peakHeapMiB: number;
}

async function measure(kind: StoreKind, events: number): Promise<MemoryFigure> {
  const location = kind === "postgres" ? uniqueName("bench_mem") : kind === "sqlite" ? join(tmpdir(), `${uniqueName("webhook-inbox-bench-mem")}.sqlite`) : "-";
  const child = startChild("drain-worker.ts", [kind, location, String(events), "--memory"], ["--expose-gc"]);
  try {
    const ready = await child.next<{ type: "ready"; before: MemoryFigure["baseline"]; queued: MemoryFigure["queued"]; loadMs: number }>("ready", 300_000);
    child.send({ type: "go" });
    const done = await child.next<{ type: "done"; ms: number; succeeded: number; peakRssMiB: number; peakHeapMiB: number }>("done", 300_000);
    return {
      kind,
      events,
      loadMs: ready.loadMs,
      drainMs: done.ms,
      succeeded: done.succeeded,
      baseline: ready.before,
      queued: ready.queued,
      peakRssMiB: done.peakRssMiB,
      peakHeapMiB: done.peakHeapMiB,
    };
  } finally {
    await child.stop();
    if (kind === "postgres") await dropSchema(location);
    if (kind === "sqlite") for (const suffix of ["", "-wal", "-shm"]) rmSync(`${location}${suffix}`, { force: true });
  }
}

const NAMES: Record<StoreKind, string> = { memory: "MemoryStore", sqlite: "SqliteStore", postgres: "PostgresStore" };

/** Runs the memory and scale measurement (section 5). */
export async function runMemory(config: BenchConfig): Promise<SectionResult> {
  const started = performance.now();
  const { queued: large, small } = config.memory;
  const failures: string[] = [];
  const figures: MemoryFigure[] = [];
  const rows: ResultRow[] = [];
  for (const kind of STORE_KINDS) {
    const smallRun = await measure(kind, small);
    const largeRun = await measure(kind, large);
    figures.push(smallRun, largeRun);
    for (const run of [smallRun, largeRun]) {
      if (run.succeeded !== run.events) failures.push(`memory ${NAMES[kind]}: ${run.succeeded} of ${run.events} events succeeded`);
    }
    const heldMiB = largeRun.queued.heapUsedMiB - largeRun.baseline.heapUsedMiB;
    const drainPeakMiB = largeRun.peakHeapMiB - largeRun.queued.heapUsedMiB;
    const growth = largeRun.drainMs / smallRun.drainMs;
    const sizeRatio = large / small;
    console.log(
      `  memory ${NAMES[kind]}: ${fmt(large)} queued → heap +${fmt(heldMiB, 1)} MiB, RSS ${fmt(largeRun.queued.rssMiB)} MiB; ` +
        `live heap while draining ≤ ${fmt(largeRun.peakHeapMiB, 1)} MiB (${drainPeakMiB >= 0 ? "+" : ""}${fmt(drainPeakMiB, 1)}); drain ${fmt(smallRun.drainMs)} ms (${fmt(small)}) → ${fmt(largeRun.drainMs)} ms (${fmt(large)})`,
    );
    rows.push({
      section: "5 memory",
      variant: `${NAMES[kind]}, ${fmt(large)} queued`,
      figure: `RSS ${fmt(largeRun.queued.rssMiB)} MiB, heap ${fmt(largeRun.queued.heapUsedMiB, 1)} MiB (+${fmt(heldMiB, 1)} over empty); peak live while draining: heap ${fmt(largeRun.peakHeapMiB, 1)} MiB, RSS ${fmt(largeRun.peakRssMiB)} MiB`,
      // A durable store's process holds no backlog; MemoryStore *is* the backlog, so it has no target here.
      ...(kind === "memory"
        ? {}
        : { target: "heap bounded (< 64 MiB over empty)", met: heldMiB < 64 && largeRun.peakHeapMiB - largeRun.baseline.heapUsedMiB < 64 }),
    });
    rows.push({
      section: "5 scale",
      variant: `${NAMES[kind]}, drain ${fmt(small)} → ${fmt(large)}`,
      figure: `${fmt(smallRun.drainMs)} ms → ${fmt(largeRun.drainMs)} ms (×${growth.toFixed(1)} for ×${sizeRatio.toFixed(0)} events)`,
      ratio: growth / sizeRatio,
      target: "linear (ratio ≤ 1.3)",
      met: growth / sizeRatio <= 1.3,
    });
  }
  return { section: "memory", rows, raw: { small, large, figures }, failures, seconds: since(started) / 1000 };
}
