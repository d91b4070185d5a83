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
    try {
      if (options.durationMs) await new Promise((resolve) => setTimeout(resolve, options.durationMs));
      return options.report ? options.report(index) : IDLE;
    } finally {
      active -= 1;
      record.endedAt = Date.now();
      for (const waiter of [...waiters]) waiter();
    }
  }

  return {
    run,
    runs,
    get overlapped() {
      return overlapped;
    },
    waitForRuns(count, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (ended() < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new assert.AssertionError({ message: `expected ${count} runs within ${timeoutMs} ms, saw ${ended()}` }));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** Real time passes: schedulers are timers and queues, so the suite waits on the wall clock. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
