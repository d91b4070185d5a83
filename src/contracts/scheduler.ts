/**
 * A scheduler decides *when* the processor looks for due work; the processor decides *what* is due.
 *
 * Contract:
 * - After `start(run)`, it calls `run()` whenever work may be due: on `wake()`, at the time `run()`
 *   reported as the next due time, and at least every poll interval (work from other processes).
 * - It never runs two `run()` calls at once, and runs again at once when `run()` reports `more`.
 * - `stop()` resolves after the current `run()` finished and leaves no timer behind.
 */
export interface Scheduler {
  start(run: () => Promise<RunReport>): void;
  /** Work may be due within `delayMs` (0 = now). Several wakes inside one window coalesce. */
  wake(delayMs?: number): void;
  stop(): Promise<void>;
}

export interface RunReport {
  /** The pass was full: more is due now. */
  readonly more: boolean;
  /** When the next known work is due, if any. */
  readonly nextDueAt: Date | null;
}
