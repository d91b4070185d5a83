/**
 * BullMQScheduler: the inbox's wake-ups and next-due times as BullMQ jobs on the host's Redis, run by
 * a BullMQ worker in every instance of the app.
 */
import type { Queue, Worker } from "bullmq";
import type { RunReport, Scheduler } from "../../src/index.ts";
import { QueuedPasses, type PassJob } from "../../src/adapter-kit/index.ts";
import { loadBullMQ } from "./load-bullmq.ts";
import { type BullMQSchedulerOptions, type ResolvedBullMQSchedulerOptions, parseBullMQSchedulerOptions } from "./options.ts";

/** Completed pass jobs are kept this long, so an instance late to enqueue the same pass finds it done. */
const KEEP_COMPLETED = { age: 3_600, count: 1_000 };
/** A job refused by a stopping instance, or left by a worker that died, is tried again by another one. */
const JOB_ATTEMPTS = 3;

/**
 * A `Scheduler` on BullMQ. Each wake-up and next due time becomes a delayed job named `"pass"` with
 * the id `pass-<epoch ms>` (run times rounded up to `slotMs`, polls to whole `pollIntervalMs`), so
 * every instance that wants the same pass enqueues the same job and Redis keeps one; whichever
 * instance's worker takes it runs the pass (one at a time per instance) and enqueues the next. There
 * is no poller besides BullMQ's worker, and bull-board shows the passes.
 *
 * @example
 * ```ts
 * const inbox = createWebhookInbox({
 *   store: new PostgresStore({ pool }),
 *   scheduler: new BullMQScheduler({ connection: { host: "127.0.0.1", port: 6379 } }),
 *   integrations, handler,
 * });
 * ```
 */
export class BullMQScheduler implements Scheduler {
  readonly #options: ResolvedBullMQSchedulerOptions;
  readonly #onError: (error: unknown) => void;
  readonly #passes: QueuedPasses;
  #queue: Queue | null = null;
  #worker: Worker | null = null;

  constructor(options: BullMQSchedulerOptions) {
    this.#options = parseBullMQSchedulerOptions(options);
    this.#onError = this.#options.onError ?? ((error) => console.error("[webhook-inbox/bullmq]", error));
    loadBullMQ(); // a missing install fails here, at construction
    this.#passes = new QueuedPasses({
      enqueue: (job) => this.#enqueue(job),
      pollIntervalMs: this.#options.pollIntervalMs,
      slotMs: this.#options.slotMs,
      onError: this.#onError,
    });
  }

  /** The queue's name (what bull-board lists). */
  get queueName(): string {
    return this.#options.queueName;
  }

  start(run: () => Promise<RunReport>): void {
    if (!this.#passes.stopped) return;
    const { Queue, Worker } = loadBullMQ();
    const { connection, queueName, prefix } = this.#options;
    const base = prefix === undefined ? { connection } : { connection, prefix };
    this.#queue = new Queue(queueName, base);
    this.#worker = new Worker<{ runAt: string }>(queueName, (job) => this.#passes.runJob(new Date(job.data.runAt)), { ...base, concurrency: 1 });
    // Both emit "error" for Redis trouble; without a listener Node would throw it.
    this.#queue.on("error", this.#onError);
    this.#worker.on("error", this.#onError);
    this.#passes.start(run);
  }

  wake(delayMs = 0): void {
    this.#passes.wake(delayMs);
  }

  /** Closes this instance's worker (after its pass in progress) and queue; queued jobs stay for the other instances. */
  async stop(): Promise<void> {
    const worker = this.#worker;
    const queue = this.#queue;
    this.#worker = null;
    await Promise.all([worker?.close(), this.#passes.stop()]);
    this.#queue = null;
    await queue?.close();
  }

  async #enqueue(job: PassJob): Promise<void> {
    if (!this.#queue) return;
    await this.#queue.add(
      "pass",
      { runAt: job.runAt.toISOString() },
      {
        jobId: job.id,
        delay: Math.max(0, job.runAt.getTime() - Date.now()),
        attempts: JOB_ATTEMPTS,
        removeOnComplete: KEEP_COMPLETED,
        removeOnFail: KEEP_COMPLETED,
      },
    );
  }
}
