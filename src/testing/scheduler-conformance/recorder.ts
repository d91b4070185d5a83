/**
 * Scheduler conformance recorder: a `run()` to hand to `Scheduler#start` that logs when each run started
 * and ended, fails the test if two runs of one scheduler overlap, and answers with scripted reports.
 */
import assert from "node:assert/strict";
import type { RunReport } from "../../index.ts";

/** What one `run()` call saw: its start and end (epoch ms). */
export interface RecordedRun {
  readonly startedAt: number;
  endedAt: number | null;
}

export interface RunRecorder {
  /** The function to pass to `start()`. */
  readonly run: () => Promise<RunReport>;
  readonly runs: readonly RecordedRun[];
  /** Set when a run started while another of the same scheduler was still running. */
  readonly overlapped: boolean;
  /** Resolves once `count` runs have ended; rejects after `timeoutMs`. */
  waitForRuns(count: number, timeoutMs: number): Promise<void>;
  /** Resolves as soon as `count` runs have started (the last one still going, unless it takes no time); rejects after `timeoutMs`. */
  waitForStarts(count: number, timeoutMs: number): Promise<void>;
}

export interface RecorderOptions {
  /** The report of the n-th run (0-based). @default nothing more, nothing due */
  report?: (index: number) => RunReport;
  /** How long each run takes. @default 0 */
  durationMs?: number;
}

const IDLE: RunReport = { more: false, nextDueAt: null };

export function recordRuns(options: RecorderOptions = {}): RunRecorder {
  const runs: RecordedRun[] = [];
  let active = 0;
  let overlapped = false;
  const waiters = new Set<() => void>();
  const ended = () => runs.filter((r) => r.endedAt !== null).length;

  async function run(): Promise<RunReport> {
    const record: RecordedRun = { startedAt: Date.now(), endedAt: null };
    const index = runs.push(record) - 1;
    active += 1;
    if (active > 1) overlapped = true;
    for (const waiter of [...waiters]) waiter();
    try {
      if (options.durationMs) await new Promise((resolve) => setTimeout(resolve, options.durationMs));
      return options.report ? options.report(index) : IDLE;
    } finally {
      active -= 1;
      record.endedAt = Date.now();
      for (const waiter of [...waiters]) waiter();
    }
  }

  /** Resolves once `seen()` reaches `count` (checked whenever a run starts or ends); rejects after `timeoutMs`. */
  function waitFor(seen: () => number, count: number, what: string, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (seen() < count) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new assert.AssertionError({ message: `expected ${count} ${what} within ${timeoutMs} ms, saw ${seen()} (${startTimes(runs)})` }));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  }

  return {
    run,
    runs,
    get overlapped() {
      return overlapped;
    },
    waitForRuns(count, timeoutMs) {
      return waitFor(ended, count, "runs", timeoutMs);
    },
    waitForStarts(count, timeoutMs) {
      return waitFor(() => runs.length, count, "started runs", timeoutMs);
    },
  };
}

/** When each run started (ISO times, to tell a poll at a whole minute from the run a test waited for), for failure messages. */
export function startTimes(runs: readonly RecordedRun[]): string {
  return runs.length === 0 ? "no runs" : `runs started at ${runs.map((run) => new Date(run.startedAt).toISOString()).join(", ")}`;
}

/** Resolves once `condition()` holds (looked at every 10 ms) or after `timeoutMs`; the caller asserts what it needs. */
export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(10);
}

/** Real time passes: schedulers are timers and queues, so the suite waits on the wall clock. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
