/**
 * The soak, long form: `npx tsx scripts/soak.ts --minutes 5 [--rate 40] [--fault-rate 0.1] [--store sqlite|postgres]`.
 * Sends a steady stream of signed webhooks over loopback with a fault mix, waits for every
 * acknowledged one to be final, prints the figures and writes them into RELIABILITY.md (between the
 * soak markers of its store). Exits 1 when anything acknowledged was lost or completed twice.
 * `--store postgres` reads DATABASE_URL.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runSoak, type SoakFigures } from "../test/reliability/soak-harness.ts";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "5" },
    rate: { type: "string", default: "40" },
    "fault-rate": { type: "string", default: "0.1" },
    store: { type: "string", default: "sqlite" },
    "no-write": { type: "boolean", default: false },
  },
});

const minutes = Number(values.minutes);
const rate = Number(values.rate);
const faultRate = Number(values["fault-rate"]);
const store = values.store === "postgres" ? "postgres" : "sqlite";
if (!(minutes > 0) || !(rate > 0) || !(faultRate >= 0 && faultRate <= 1)) {
  console.error("usage: npx tsx scripts/soak.ts --minutes 5 [--rate 40] [--fault-rate 0.1] [--store sqlite|postgres]");
  process.exit(2);
}

const command = `npx tsx scripts/soak.ts --minutes ${minutes} --rate ${rate} --fault-rate ${faultRate} --store ${store}`;
console.log(`soak: ${command}`);
const figures = await runSoak({
  durationMs: minutes * 60_000,
  ratePerSecond: rate,
  faultRate,
  store,
  ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
  settleTimeoutMs: 120_000,
  onProgress: (line) => console.log(`  ${line}`),
});
console.log(JSON.stringify(figures, null, 2));

if (!values["no-write"]) {
  const path = fileURLToPath(new URL("../RELIABILITY.md", import.meta.url));
  const text = readFileSync(path, "utf8");
  // One block per store, so a PostgreSQL run does not overwrite the SQLite figures.
  const start = store === "sqlite" ? "<!-- soak:start -->" : `<!-- soak:${store}:start -->`;
  const end = store === "sqlite" ? "<!-- soak:end -->" : `<!-- soak:${store}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  const block = `${start}\n${table(figures)}\n${end}`;
  writeFileSync(path, from >= 0 && to > from ? `${text.slice(0, from)}${block}${text.slice(to + end.length)}` : `${text}\n${block}\n`);
  console.log(`figures written to RELIABILITY.md`);
}

process.exit(figures.lost === 0 && figures.completedTwice === 0 ? 0 : 1);

function table(f: SoakFigures): string {
  const faults = Object.entries(f.faults)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(", ");
  const refused = Object.entries(f.refused)
    .map(([status, count]) => `${status}: ${count}`)
    .join(", ");
  const finals = Object.entries(f.eventsFinal)
    .map(([status, count]) => `${status} ${count}`)
    .join(", ");
  return [
    `Last run: ${new Date().toISOString()} — \`${command}\` — Node ${process.version}, ${cpus().length} CPU(s), store: ${f.store}`,
    "",
    "| Figure | Value |",
    "| --- | --- |",
    `| Sending time | ${(f.durationMs / 1000).toFixed(0)} s (then ${(f.settleMs / 1000).toFixed(1)} s to settle) |`,
    `| Webhooks sent (incl. replays and unsigned) | ${f.sent} |`,
    `| Acknowledged (stored, 202 accepted) | ${f.acknowledged} (${f.eventsAcknowledged} events) |`,
    `| Replays answered "duplicate" | ${f.duplicatesAnswered} |`,
    `| Refused | ${refused || "none"} |`,
    `| **Lost** (acknowledged, not final) | **${f.lost}** |`,
    `| **Completed twice** (handler succeeded twice for one event) | **${f.completedTwice}** |`,
    `| Final statuses of acknowledged events | ${finals} |`,
    `| Handler completions | ${f.handlerCompletions} |`,
    `| Faults injected by kind | ${faults} |`,
    `| Peak memory | RSS ${f.peakRssMb} MB, heap ${f.peakHeapMb} MB |`,
    `| Heap, median of first / last third | ${f.heapFirstThirdMb} MB / ${f.heapLastThirdMb} MB |`,
  ].join("\n");
}
