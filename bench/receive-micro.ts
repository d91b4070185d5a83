/**
 * `inbox.receive()` alone, in process (no HTTP): CPU per webhook of the receive pipeline in front of a
 * store that keeps nothing (`discard`, the ingest ceiling) or of MemoryStore (`memory`), for the ingest
 * workloads, called in waves of 50 as 50 connections make them. Set beside the ingest rows, it tells
 * the pipeline's own cost from what the HTTP server adds (GC and cache pressure). Not part of
 * `npm run bench`: a tool for comparing pipeline changes quickly.
 *
 *   npx tsx bench/receive-micro.ts [discard|memory] [one-entity|mixed-1-10] [webhooks]
 */
import { MemoryStore } from "../src/index.ts";
import { createBenchInbox, DiscardingStore, receiveInputOf } from "./lib/bench-inbox.ts";
import { requestFactory, type IngestWorkload } from "./lib/ingest-payloads.ts";

const WAVE = 50;

async function main(): Promise<void> {
  const kind = process.argv[2] ?? "discard";
  if (kind !== "discard" && kind !== "memory") throw new Error(`unknown store ${kind}: discard or memory`);
  const workload = (process.argv[3] ?? "one-entity") as IngestWorkload;
  const count = Number(process.argv[4] ?? 50_000);
  const inbox = createBenchInbox(kind === "discard" ? new DiscardingStore() : new MemoryStore());
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
  console.log(`${kind} ${workload}: ${count - warm} webhooks, CPU ${((spent.user + spent.system) / (count - warm)).toFixed(1)} µs per receive()`);
}

await main();
