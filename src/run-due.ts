// Budgeted processing: passes run back to back until nothing is due now or a time budget is spent (cron and serverless hosts).
import type { RunReport } from "./contracts/scheduler.ts";
import type { Clock } from "./clock.ts";
import { WebhookInboxError } from "./errors.ts";

/** Options of `inbox.runDue()`. */
export interface RunDueOptions {
  /**
   * Keep running passes while work is due, starting no new pass once this many milliseconds (wall
   * time) have passed. A pass already running finishes first (bounded by `handlerTimeoutMs` and
   * `maxRateLimitWaitMs`), so leave that much headroom below the host's own timeout.
   * Without it, `runDue()` runs exactly one pass.
   */
  readonly budgetMs?: number;
}

/** What `runDue()` did. Nothing of it is still running when the promise resolves. */
export interface RunDueResult extends RunReport {
  /** Events claimed and taken to an outcome (or found exhausted) by these passes. */
  readonly processed: number;
  /** Passes run. */
  readonly passes: number;
  /** Work was still due at the clock's current time when the budget ran out. */
  readonly stillDue: boolean;
}

/** One pass as the processor runs it: what it claimed, and the scheduler's report. */
export interface PassOutcome extends RunReport {
  readonly claimed: number;
}

/** Runs `pass` until nothing is due now or `budgetMs` is spent; one pass when no budget is given. */
export async function runWithinBudget(pass: () => Promise<PassOutcome>, clock: Clock, options: RunDueOptions = {}): Promise<RunDueResult> {
  const budgetMs = options.budgetMs;
  if (budgetMs !== undefined && !(Number.isFinite(budgetMs) && budgetMs >= 0)) {
    throw new WebhookInboxError("CONFIG_INVALID", `runDue({ budgetMs }) must be a finite number of milliseconds >= 0, not ${String(budgetMs)}`, {
      status: 400,
    });
  }
  const startedAt = performance.now();
  let processed = 0;
  let passes = 0;
  for (;;) {
    const outcome = await pass();
    passes += 1;
    processed += outcome.claimed;
    const dueNow = outcome.more || (outcome.nextDueAt !== null && outcome.nextDueAt.getTime() <= clock.now().getTime());
    const spent = budgetMs === undefined || performance.now() - startedAt >= budgetMs;
    // A pass that claimed nothing while something is "due" (held by another worker's lease) would spin.
    if (!dueNow || spent || outcome.claimed === 0) {
      return { more: outcome.more, nextDueAt: outcome.nextDueAt, processed, passes, stillDue: dueNow };
    }
  }
}
