import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";

/** One line of the printed table. */
export interface ResultRow {
  /** The measurement (`ingest`, `provider-calls`, ...). */
  readonly section: string;
  /** What was measured (`webhook-inbox + SqliteStore`, `bare Fastify`, ...). */
  readonly variant: string;
  /** The figure as printed (`12,345 req/s, p50 3 ms, p99 9 ms`). */
  readonly figure: string;
  /** The ratio the target is about, when there is one. */
  readonly ratio?: number | null;
  /** The target, in words (`≥ 0.80 of bare Fastify`). */
  readonly target?: string;
  /** Whether the target is met; `null` when there is no target. */
  readonly met?: boolean | null;
}

/** What one measurement hands back: table rows, raw figures, and correctness failures. */
export interface SectionResult {
  readonly section: string;
  readonly rows: ResultRow[];
  /** Raw figures for latest.json. */
  readonly raw: unknown;
  /** A scenario that went wrong (lost events, 429s where none may be, ...): fails the run. */
  readonly failures: string[];
  readonly seconds: number;
}

/** `12345.6` → `12,346`. */
export function fmt(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `min 1.0, median 2.0, max 3.0` of a micro's rounds (the upper middle of an even count). */
export function minMedianMax(values: readonly number[], digits = 1): string {
  const sorted = [...values].sort((x, y) => x - y);
  const at = (index: number) => sorted[index]!.toFixed(digits);
  return `min ${at(0)}, median ${at(Math.floor(sorted.length / 2))}, max ${at(sorted.length - 1)}`;
}

/** `value / base`, NaN when there is no base. */
export function ratio(value: number, base: number): number {
  return base > 0 ? value / base : Number.NaN;
}

/** Prints rows as an aligned text table (also valid Markdown). */
export function formatTable(rows: readonly ResultRow[]): string {
  const header = ["Measurement", "Variant", "Figure", "Ratio", "Target", "Met"];
  const lines = rows.map((row) => [
    row.section,
    row.variant,
    row.figure,
    row.ratio === undefined || row.ratio === null || Number.isNaN(row.ratio) ? "" : row.ratio.toFixed(2),
    row.target ?? "",
    row.met === undefined || row.met === null ? "" : row.met ? "yes" : "**NO**",
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const render = (cells: readonly string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(" | ")} |`;
  return [render(header), `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`, ...lines.map(render)].join("\n");
}

/** The machine, for the record. */
export function machine() {
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    freeMemoryGiB: Number((freemem() / 2 ** 30).toFixed(1)),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadavg: loadavg().map((value) => Number(value.toFixed(2))),
  };
}

/** Writes the raw figures to bench/results/latest.json (git-ignored) and returns the path. */
export function writeResults(data: unknown): string {
  const dir = fileURLToPath(new URL("../results/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  const path = `${dir}latest.json`;
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
  return path;
}

/** Milliseconds since `start` (from `performance.now()`). */
export function since(start: number): number {
  return performance.now() - start;
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
