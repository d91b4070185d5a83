/**
 * SqliteStore's share of ingest, alone: the insertDelivery inputs the receive pipeline builds for the
 * ingest workloads (captured once through a real inbox), replayed against a SqliteStore (FULL, a file
 * on disk) in waves of concurrent calls, as the HTTP route makes them under load. Reports the process
 * CPU (user + system, every thread) per delivery, including the work the store does after the calls
 * resolved (the wait for `countEvents`, which sees every event). Not part of `npm run bench`: a tool
 * for comparing store changes quickly (BENCH_PROFILE_DIR=dir: a CPU profile of the measured stretch).
 *
 *   npx tsx bench/sqlite-ingest-micro.ts [one-entity|mixed-1-10] [deliveries] [wave] [adapter dir]
 *
 * Knobs (environment): MICRO_SQL and MICRO_PRAGMAS (below), MICRO_PAGE_SIZE, MICRO_MAX_BATCH, MICRO_KEEP,
 * MICRO_PAUSE_MS, MICRO_DIR.
 */
import { copyFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { captureStoreInputs } from "./lib/captured-inputs.ts";
import type { IngestWorkload } from "./lib/ingest-payloads.ts";
import { startProfile, stopProfile } from "./lib/profile.ts";

/** Runs `sql` on the file through a connection of its own (the store's connection stays as the store set it). */
async function execOnFile(filename: string, sql: string): Promise<void> {
  const { default: Driver } = await import("better-sqlite3");
  const db = new Driver(filename);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

/** Bytes and calls written by this process so far (/proc/self/io: every write and pwrite, WAL and checkpoint included). */
function written(): { bytes: number; calls: number } {
  const text = readFileSync("/proc/self/io", "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)`, "m").exec(text)?.[1] ?? Number.NaN);
  return { bytes: field("wchar"), calls: field("syscw") };
}

function cpu(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

async function main(): Promise<void> {
  const workload = (process.argv[2] ?? "one-entity") as IngestWorkload;
  const deliveries = Number(process.argv[3] ?? 20_000);
  const wave = Number(process.argv[4] ?? 24);
  const adapterDir = process.argv[5] ?? "../adapters/sqlite";
  const { SqliteStore } = (await import(`${adapterDir}/index.ts`)) as typeof import("../adapters/sqlite/index.ts");
  const inputs = await captureStoreInputs(workload, deliveries);
  const filename = join(process.env.MICRO_DIR ?? tmpdir(), `micro-${process.pid}.sqlite`);
  // MICRO_PAGE_SIZE: the file is created with this page size before the store opens it.
  if (process.env.MICRO_PAGE_SIZE) {
    await execOnFile(filename, `PRAGMA page_size = ${Number(process.env.MICRO_PAGE_SIZE)}; CREATE TABLE page_size_set (x); DROP TABLE page_size_set;`);
  }
  // MICRO_MAX_BATCH: most deliveries per group commit (groupCommit.maxBatch); give a wave at least as large.
  const maxBatch = process.env.MICRO_MAX_BATCH ? { groupCommit: { maxBatch: Number(process.env.MICRO_MAX_BATCH) } } : {};
  const store = new SqliteStore({ filename, synchronous: "full", ...maxBatch });
  await store.migrate();
  // Experiments: MICRO_SQL="statements; ..." run on the file before the measurement (e.g. DROP INDEX),
  // MICRO_PRAGMAS="wal_autocheckpoint = 10000; ..." on the store's own connection (through transaction()).
  if (process.env.MICRO_SQL) await execOnFile(filename, process.env.MICRO_SQL);
  if (process.env.MICRO_PRAGMAS) {
    const pragmas = process.env.MICRO_PRAGMAS.split(";").filter((text) => text.trim() !== "");
    await store.transaction(async (db) => {
      for (const pragma of pragmas) (db as { pragma(text: string): unknown }).pragma(pragma);
    });
  }
  const events = inputs.reduce((sum, input) => sum + input.events.length, 0);
  const run = async (from: number, to: number) => {
    for (let start = from; start < to; start += wave) {
      await Promise.all(inputs.slice(start, Math.min(to, start + wave)).map((input) => store.insertDelivery(input)));
    }
    await store.countEvents({});
  };
  const warm = Math.min(2_000, Math.floor(deliveries / 5));
  await run(0, warm);
  // MICRO_PAUSE_MS: time to attach a native profiler (perf record -p) to the measured stretch only.
  if (process.env.MICRO_PAUSE_MS) {
    console.log(`measuring pid ${process.pid}`);
    await new Promise((resolve) => setTimeout(resolve, Number(process.env.MICRO_PAUSE_MS)));
  }
  await startProfile();
  const cpuBefore = cpu();
  const usageBefore = process.cpuUsage();
  const writtenBefore = written();
  const wallBefore = performance.now();
  await run(warm, deliveries);
  const spent = cpu() - cpuBefore;
  const usage = process.cpuUsage(usageBefore);
  const writtenAfter = written();
  const wall = performance.now() - wallBefore;
  await stopProfile(`sqlite-micro-${workload}`);
  if (process.env.MICRO_PAUSE_MS) {
    console.log("measured");
    await new Promise((resolve) => setTimeout(resolve, Number(process.env.MICRO_PAUSE_MS)));
  }
  const measured = deliveries - warm;
  const stored = (await store.countEvents({})).reduce((sum, row) => sum + row.count, 0);
  if (process.env.MICRO_KEEP) for (const suffix of ["", "-wal"]) copyFileSync(`${filename}${suffix}`, `${filename}.kept${suffix}`);
  await store.close();
  if (process.env.MICRO_KEEP) console.log(`kept ${filename}.kept`);
  else for (const suffix of ["", "-wal", "-shm"]) rmSync(`${filename}${suffix}`, { force: true });
  if (stored !== events) throw new Error(`stored ${stored} events of ${events}`);
  console.log(
    `${workload} ${adapterDir}: ${measured} deliveries (${events} events in all), wave ${wave}: CPU ${((spent * 1e6) / measured).toFixed(1)} µs/delivery, ` +
      `(user ${(usage.user / measured).toFixed(1)}, system ${(usage.system / measured).toFixed(1)}), wall ${((wall * 1e3) / measured).toFixed(1)} µs/delivery; ` +
      `written ${((writtenAfter.bytes - writtenBefore.bytes) / measured / 1024).toFixed(1)} KiB in ${((writtenAfter.calls - writtenBefore.calls) / measured).toFixed(1)} calls per delivery`,
  );
}

await main();
