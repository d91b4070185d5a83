// Queue-backed scheduling: which pass job to enqueue when, shared by the BullMQ and pg-boss schedulers (and a host's own).
import type { RunReport } from "./contracts/scheduler.ts";
import { WebhookInboxError } from "./errors.ts";

/** A pass to run at `runAt`. */
export interface PassJob {
  /**
   * `pass-<runAt as epoch ms>`: the same for every instance that wants a pass at that time, so a queue
   * that drops a job whose id it holds already runs that pass once for the whole fleet.
   */
  readonly id: string;
  readonly runAt: Date;
}

/** Options of {@link QueuedPasses}. */
export interface QueuedPassesOptions {
  /** Puts `job` on the queue, delayed to `job.runAt`; a job with the same id already there is kept, not doubled. */
  enqueue(job: PassJob): Promise<void>;
  /** Longest gap between passes (work stored by other processes); poll times are whole multiples of it, so every instance picks the same ones. */
  pollIntervalMs: number;
  /** Run times are rounded up to the next multiple of this: wake-ups and due times inside one slot are one job. */
  slotMs: number;
  /** Called when a pass throws or a job cannot be enqueued; scheduling goes on. */
  onError(error: unknown): void;
}

/**
 * The queue-independent half of a queue-backed `Scheduler`. The adapter owns the queue: its worker
 * (one job at a time per instance) calls `runJob()` for every pass job; `enqueue` adds jobs. Wake-ups
 * and next-due times become jobs at slot-rounded times with deterministic ids; a wake-up already
 * covered by an earlier job this instance enqueued adds nothing (that pass will report what is due
 * next); a pass's follow-up job is enqueued before `runJob()` resolves, so a worker that dies mid-pass
 * leaves its job to the queue's own recovery rather than breaking the chain.
 */
export class QueuedPasses {
  readonly #options: QueuedPassesOptions;
  #run: (() => Promise<RunReport>) | null = null;
  #stopped = true;
  /** Earliest run time this instance enqueued that has not come yet. */
  #pendingAt = Number.NEGATIVE_INFINITY;
  #enqueues = new Set<Promise<void>>();
  #running: Promise<void> | null = null;
  #lastPassStartedAt = Number.NEGATIVE_INFINITY;

  constructor(options: QueuedPassesOptions) {
    this.#options = options;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Starts scheduling `run` and enqueues a pass for now. */
  start(run: () => Promise<RunReport>): void {
    this.#run = run;
    this.#stopped = false;
    this.#pendingAt = Number.NEGATIVE_INFINITY;
    this.#schedule(Date.now());
  }

  wake(delayMs = 0): void {
    if (this.#stopped) return;
    this.#schedule(Date.now() + Math.max(0, delayMs));
  }

  /**
   * Runs one pass for a job (due at `runAt`) the queue handed to this instance, then enqueues the next
   * one: at once when the pass was full, else at its next due time or the next poll time, whichever is
   * first. A job whose run time a pass of this instance already started after is done without a pass.
   * @throws WebhookInboxError `INBOX_STOPPING` when stopped, so the queue hands the job to another worker instead of completing it
   */
  async runJob(runAt: Date): Promise<void> {
    const run = this.#run;
    if (this.#stopped || !run) throw new WebhookInboxError("INBOX_STOPPING", "this scheduler is stopped; the pass is left to another worker", { status: 503 });
    // A pass that started at or after this job's run time saw everything the job was for (and enqueued what came next).
    if (this.#lastPassStartedAt >= runAt.getTime()) return;
    this.#lastPassStartedAt = Date.now();
    const pass = this.#pass(run);
    this.#running = pass;
    try {
      await pass;
    } finally {
      if (this.#running === pass) this.#running = null;
    }
  }

  /** Stops scheduling; resolves after the pass in progress and the enqueues in flight. Jobs already queued stay for other instances. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
    await Promise.allSettled([...this.#enqueues]);
  }

  async #pass(run: () => Promise<RunReport>): Promise<void> {
    let report: RunReport | null = null;
    try {
      report = await run();
    } catch (error) {
      this.#report(error);
    }
    const now = Date.now();
    const poll = this.#options.pollIntervalMs;
    const nextPoll = (Math.floor(now / poll) + 1) * poll;
    const due = report?.nextDueAt ? Math.max(now, report.nextDueAt.getTime()) : Number.POSITIVE_INFINITY;
    // Enqueued even while stopping: the queue is shared, and another instance runs it.
    await this.#schedule(report?.more ? now : Math.min(nextPoll, due), true);
  }

  #schedule(at: number, evenIfStopped = false): Promise<void> {
    if (this.#stopped && !evenIfStopped) return Promise.resolve();
    const now = Date.now();
    if (this.#pendingAt > now && this.#pendingAt <= at) return Promise.resolve(); // an earlier pass covers it
    const slot = this.#options.slotMs;
    const runAt = (Math.floor(at / slot) + 1) * slot; // strictly after `at`: never the id of the job running now
    this.#pendingAt = runAt;
    const enqueue = this.#options
      .enqueue({ id: `pass-${runAt}`, runAt: new Date(runAt) })
      .catch((error: unknown) => {
        if (this.#pendingAt === runAt) this.#pendingAt = Number.NEGATIVE_INFINITY; // it covers nothing
        this.#report(error);
      })
      .finally(() => this.#enqueues.delete(enqueue));
    this.#enqueues.add(enqueue);
    return enqueue;
  }

  #report(error: unknown): void {
    try {
      this.#options.onError(error);
    } catch {
      // The error reporter failed too; scheduling goes on regardless.
    }
  }
}
