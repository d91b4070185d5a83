/**
 * `npm run bench` (full, < 10 min) and `npm run bench -- --quick` (CI, < 1 min): runs every
 * measurement, prints one table, writes the raw figures to bench/results/latest.json. It fails
 * only when a scenario goes wrong (lost events, 429s, a crash), never on a figure.
 * `--only=ingest,throughput` runs a subset.
 */
import { runIngest } from "./ingest.ts";
import { runProviderCalls } from "./provider-calls.ts";
import { runRateLimits } from "./rate-limits.ts";
import { runSharedBudget } from "./shared-budget.ts";
import { runMemory } from "./memory.ts";
import { runThroughput } from "./throughput.ts";
import { runBurst } from "./burst.ts";
import { parseArgs } from "./lib/config.ts";
import { formatTable, machine, writeResults, type SectionResult } from "./lib/report.ts";

const SECTIONS: Record<string, (config: ReturnType<typeof parseArgs>["config"]) => Promise<SectionResult>> = {
  ingest: runIngest,
  "provider-calls": runProviderCalls,
  "rate-limits": runRateLimits,
  "shared-budget": runSharedBudget,
  throughput: runThroughput,
  memory: runMemory,
  burst: runBurst,
};

async function main(): Promise<void> {
  const { config, only } = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const startedAt = new Date();
  const host = machine();
  console.log(
    `webhook-inbox bench (${config.quick ? "quick" : "full"}) on ${host.nproc} CPUs, ${host.memoryGiB} GiB, node ${host.node}, load ${host.loadavg.join(" ")}`,
  );
  const results: SectionResult[] = [];
  for (const [name, run] of Object.entries(SECTIONS)) {
    if (only && !only.has(name)) continue;
    console.log(`\n== ${name}`);
    results.push(await run(config));
  }
  const rows = results.flatMap((result) => result.rows);
  const failures = results.flatMap((result) => result.failures);
  const seconds = (performance.now() - started) / 1000;
  console.log(`\n${formatTable(rows)}\n`);
  const path = writeResults({
    command: `npm run bench${config.quick ? " -- --quick" : ""}${only ? ` -- --only=${[...only].join(",")}` : ""}`,
    startedAt: startedAt.toISOString(),
    seconds,
    machine: { ...host, loadavgAtEnd: machine().loadavg },
    config,
    sections: results.map(({ section, raw, failures: sectionFailures, seconds: sectionSeconds, rows: sectionRows }) => ({
      section,
      seconds: sectionSeconds,
      rows: sectionRows,
      failures: sectionFailures,
      raw,
    })),
  });
  console.log(`raw figures: ${path}; ${seconds.toFixed(1)} s in all`);
  if (failures.length > 0) {
    console.error(`\nscenario failures:\n${failures.map((failure) => `- ${failure}`).join("\n")}`);
    process.exitCode = 1;
  }
}

// Exit explicitly: a driver's socket left open by a crashed scenario must not hang CI.
main().then(
  () => process.exit(),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
