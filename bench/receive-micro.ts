/**
 * `inbox.receive()` alone, in process (no HTTP): CPU per webhook of the receive pipeline in front of a
 * store that keeps nothing (`discard`, the ingest ceiling), one that keeps what it is handed and
 * indexes nothing (`keep`, the floor of any in-memory store: the GC of the retained records) or
 * MemoryStore (`memory`), for the ingest workloads, called in waves of 50 as 50 connections make them.
 * Several stores (comma-separated) are measured in turn, `rounds` times, each round on a fresh store,
 * and reported as min / median / max. Set beside the ingest rows, it tells the pipeline's own cost
 * from what the HTTP server adds. Not part of `npm run bench`: a tool for comparing pipeline changes quickly.
 *
 *   node --expose-gc --import tsx bench/receive-micro.ts [discard,keep,memory] [one-entity|mixed-1-10] [webhooks per round] [rounds]
 *
 * With `--expose-gc` the previous round's store is collected before each round, so no round pays for
 * the garbage of the one before it.
 */
import { loadavg } from "node:os";
import { MemoryStore, type WebhookStore } from "../src/index.ts";
import { createBenchInbox, DiscardingStore, KeepingStore, receiveInputOf } from "./lib/bench-inbox.ts";
import { requestFactory, type IngestWorkload } from "./lib/ingest-payloads.ts";
import { minMedianMax } from "./lib/report.ts";

const WAVE = 50;
const STORES: Record<string, () => WebhookStore> = {
  discard: () => new DiscardingStore(),
  keep: () => new KeepingStore(),
  memory: () => new MemoryStore(),
};

/** CPU µs per receive() of `count` webhooks (the first fifth warms up) on a fresh store. */
async function round(store: WebhookStore, workload: IngestWorkload, count: number): Promise<number> {
  const inbox = createBenchInbox(store);
  const next = requestFactory(workload);
  // Signed up front: the measured stretch is receive() only.
  const inputs = Array.from({ length: count }, () => receiveInputOf(next()));
  const run = async (from: number, to: number) => {
    for (let start = from; start < to; start += WAVE) {
      const answers = await Promise.all(inputs.slice(start, Math.min(to, start + WAVE)).map((input) => inbox.receive(input)));
      const refused = answers.find((answer) => answer.status >= 300);
      if (refused) throw new Error(`answered ${refused.status}`);
    }
  };
  const warm = Math.floor(count / 5);
  await run(0, warm);
  const before = process.cpuUsage();
  await run(warm, count);
  const spent = process.cpuUsage(before);
  return (spent.user + spent.system) / (count - warm);
}

async function main(): Promise<void> {
  const kinds = (process.argv[2] ?? "discard").split(",");
  for (const kind of kinds) if (!(kind in STORES)) throw new Error(`unknown store ${kind}: ${Object.keys(STORES).join(", ")}`);
  const workload = (process.argv[3] ?? "one-entity") as IngestWorkload;
  const count = Number(process.argv[4] ?? 50_000);
  const rounds = Number(process.argv[5] ?? 1);
  const figures = new Map<string, number[]>(kinds.map((kind) => [kind, []]));
  for (let turn = 0; turn < rounds; turn += 1) {
    for (const kind of kinds) {
      (globalThis as { gc?: () => void }).gc?.();
      figures.get(kind)!.push(await round(STORES[kind]!(), workload, count));
    }
  }
  console.log(`${workload}: ${count - Math.floor(count / 5)} webhooks per round, ${rounds} round(s) of each store in turn, load ${loadavg()[0]!.toFixed(2)}`);
  for (const [kind, values] of figures) console.log(`  ${kind.padEnd(8)} CPU µs per receive(): ${minMedianMax(values)}`);
}

await main();
