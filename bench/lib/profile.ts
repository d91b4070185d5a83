import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";

/**
 * CPU profiles of exactly the measured stretch (not startup): set `BENCH_PROFILE_DIR=dir` and each
 * child writes `<dir>/<name>.cpuprofile`, readable in Chrome DevTools or summarised with
 * `node bench/lib/top-frames.ts <file>`.
 */
export const PROFILE_DIR = process.env.BENCH_PROFILE_DIR ?? null;

let session: Session | null = null;

/** Starts sampling this process (no-op without BENCH_PROFILE_DIR). */
export async function startProfile(): Promise<void> {
  if (!PROFILE_DIR || session) return;
  session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
}

/** Stops sampling and writes `<BENCH_PROFILE_DIR>/<name>.cpuprofile`. */
export async function stopProfile(name: string): Promise<void> {
  if (!PROFILE_DIR || !session) return;
  const { profile } = await session.post("Profiler.stop");
  session.disconnect();
  session = null;
  mkdirSync(PROFILE_DIR, { recursive: true });
  writeFileSync(join(PROFILE_DIR, `${name}.cpuprofile`), JSON.stringify(profile));
}
