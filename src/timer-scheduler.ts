import type { Clock } from "./clock.ts";
import { systemClock } from "./clock.ts";
import type { RunReport, Scheduler } from "./contracts/scheduler.ts";

export interface TimerSchedulerOptions {
  /** Longest sleep between passes, so work stored by other processes is found. @default 1_000 */
  pollIntervalMs?: number;
  /** Reads "now" to turn a due time into a delay. @default the system clock */
  clock?: Clock;
  /** Called when a pass throws; the scheduler keeps going. */
  onError?: (error: unknown) => void;
}

/**
 * The in-process scheduler: one timer, never two passes at once, woken early by `wake()`,
 * running again at once while passes come back full, and stopping with no timer left behind.
 * Its timer is unref'd so it never keeps a process alive on its own.
 */
export class TimerScheduler implements Scheduler {
  readonly #pollIntervalMs: number;
  readonly #clock: Clock;
  readonly #onError: (error: unknown) => void;
  #run: (() => Promise<RunReport>) | null = null;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Number.POSITIVE_INFINITY;
  #running: Promise<void> | null = null;
  #rerun = false;
  #stopped = true;

  constructor(options: TimerSchedulerOptions = {}) {
    this.#pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.#clock = options.clock ?? systemClock;
    this.#onError = options.onError ?? (() => {});
  }

  start(run: () => Promise<RunReport>): void {
    this.#run = run;
    this.#stopped = false;
    this.wake(0);
  }

  wake(delayMs = 0): void {
    if (this.#stopped) return;
    if (this.#running) {
      // A pass is running; it may have claimed before this work was stored, so look again after it.
      if (delayMs === 0) this.#rerun = true;
      else this.#arm(delayMs);
      return;
    }
    this.#arm(delayMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#disarm();
    await this.#running;
  }

  #arm(delayMs: number): void {
    const at = Date.now() + Math.max(0, delayMs);
    if (this.#timer && this.#timerAt <= at) return; // an earlier timer already covers it
    this.#disarm();
    this.#timerAt = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.#tick();
      },
      Math.max(0, delayMs),
    );
    this.#timer.unref?.();
  }

  #disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #tick(): void {
    if (this.#stopped || !this.#run) return;
    if (this.#running) {
      // A timer fired during a pass: look again right after it rather than at the next poll.
      this.#rerun = true;
      return;
    }
    this.#running = this.#pass(this.#run).finally(() => {
      this.#running = null;
    });
  }

  async #pass(run: () => Promise<RunReport>): Promise<void> {
    let report: RunReport | null = null;
    try {
      this.#rerun = false;
      report = await run();
    } catch (error) {
      try {
        this.#onError(error);
      } catch {
        // The error reporter failed too; the scheduler keeps running regardless.
      }
    }
    if (this.#stopped) return;
    if (report?.more || this.#rerun) {
      this.#arm(0);
      return;
    }
    const untilDue = report?.nextDueAt ? report.nextDueAt.getTime() - this.#clock.now().getTime() : Number.POSITIVE_INFINITY;
    this.#arm(Math.max(0, Math.min(this.#pollIntervalMs, untilDue)));
  }
}
