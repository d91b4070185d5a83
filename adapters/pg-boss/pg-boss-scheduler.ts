/**
 * PgBossScheduler: the inbox's wake-ups and next-due times as pg-boss jobs in the host's database,
 * run by a pg-boss worker in every instance of the app.
 */
import { createHash } from "node:crypto";
import pRetry from "p-retry";
import type { RunReport, Scheduler } from "../../src/index.ts";
import { QueuedPasses, type PassJob } from "../../src/adapter-kit/index.ts";
import { type PgBossSchedulerOptions, type ResolvedPgBossSchedulerOptions, parsePgBossSchedulerOptions } from "./options.ts";

/** A job refused by a stopping instance, or expired with a dead worker, is tried again by another one. */
const RETRY_LIMIT = 2;
/** The database's clock decides when a job may be fetched; fetching this much after the run time finds it. */
const FETCH_MARGIN_MS = 10;

/**
 * pg-boss job ids are UUIDs: `pass-<epoch ms>` becomes a name-based one (SHA-256, version 8 layout),
 * so every instance that wants the same pass sends the same id and pg-boss keeps the first.
 */
function passJobUuid(queueName: string, passId: string): string {
  const hex = createHash("sha256").update(`${queueName}/${passId}`).digest("hex");
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A `Scheduler` on pg-boss 10. Each wake-up and next due time becomes a job delayed to its run time
 * (`startAfter`; run times rounded up to `slotMs`, polls to whole `pollIntervalMs`) with an id derived
 * from that time, so every instance that wants the same pass sends the same job and the database keeps
 * one; whichever instance's worker fetches it runs the pass (one at a time per instance) and sends the
 * next. The worker is nudged (`notifyWorker`) at the run times this instance sent, so its own jobs
 * start on time; jobs from other instances are found by pg-boss's polling.
 *
 * @example
 * ```ts
 * const boss = new PgBoss(process.env.DATABASE_URL);
 * await boss.start();
 * const inbox = createWebhookInbox({ store: new PostgresStore({ pool }), scheduler: new PgBossScheduler({ boss }), integrations, handler });
 * ```
 */
export class PgBossScheduler implements Scheduler {
  readonly #options: ResolvedPgBossSchedulerOptions;
  readonly #onError: (error: unknown) => void;
  readonly #passes: QueuedPasses;
  #ready: Promise<string | null> = Promise.resolve(null);
  #handling: Promise<void> = Promise.resolve();
  #nudge: NodeJS.Timeout | null = null;
  #nudgeAt = Number.POSITIVE_INFINITY;

  constructor(options: PgBossSchedulerOptions) {
    this.#options = parsePgBossSchedulerOptions(options);
    this.#onError = this.#options.onError ?? ((error) => console.error("[webhook-inbox/pg-boss]", error));
    this.#passes = new QueuedPasses({
      enqueue: (job) => this.#enqueue(job),
      pollIntervalMs: this.#options.pollIntervalMs,
      slotMs: this.#options.slotMs,
      onError: this.#onError,
    });
  }

  /** The queue's name (what pg-boss's tables and dashboards show). */
  get queueName(): string {
    return this.#options.queueName;
  }

  start(run: () => Promise<RunReport>): void {
    if (!this.#passes.stopped) return;
    const { boss, queueName, pollingIntervalSeconds } = this.#options;
    this.#ready = (async () => {
      await this.#createQueue();
      return boss.work<{ runAt: string }>(queueName, { batchSize: 1, pollingIntervalSeconds }, ([job]) => {
        const handling = (async () => {
          if (!job) return;
          await this.#passes.runJob(new Date(job.data.runAt));
          // Completed here rather than by pg-boss after the handler, so stop() returns with nothing left active.
          await boss.complete(queueName, job.id);
          // Fetch again at once rather than after pollingIntervalSeconds: more passes may be due already.
          const self = await this.#ready;
          if (self && !this.#passes.stopped) boss.notifyWorker(self);
        })();
        this.#handling = handling.catch(() => {
          // The rejection is pg-boss's to handle (it fails the job, to be retried); stop() only waits for it.
        });
        return handling;
      });
    })().catch((error: unknown) => {
      this.#onError(error);
      return null;
    });
    this.#passes.start(run);
  }

  wake(delayMs = 0): void {
    this.#passes.wake(delayMs);
  }

  /** Stops this instance's worker (after its pass in progress); queued jobs stay for the other instances. */
  async stop(): Promise<void> {
    const workerId = await this.#ready;
    this.#ready = Promise.resolve(null);
    const stopped = this.#passes.stop();
    if (workerId) await this.#options.boss.offWork({ id: workerId });
    await stopped;
    await this.#handling;
    if (this.#nudge) clearTimeout(this.#nudge);
    this.#nudge = null;
    this.#nudgeAt = Number.POSITIVE_INFINITY;
  }

  /**
   * Instances starting together race to create the queue, and PostgreSQL may end one with a deadlock
   * (pg-boss adds a partition and its foreign key); `createQueue` is idempotent, so it is tried again.
   */
  async #createQueue(): Promise<void> {
    const { boss, queueName } = this.#options;
    await pRetry(() => boss.createQueue(queueName), { retries: 5, minTimeout: 20, maxTimeout: 500 });
  }

  async #enqueue(job: PassJob): Promise<void> {
    const workerId = await this.#ready;
    if (!workerId) return;
    const { boss, queueName, expireInSeconds } = this.#options;
    await boss.send(
      queueName,
      { runAt: job.runAt.toISOString() },
      { id: passJobUuid(queueName, job.id), startAfter: job.runAt, retryLimit: RETRY_LIMIT, retryDelay: 0, expireInSeconds },
    );
    if (!this.#passes.stopped) this.#nudgeWorker(workerId, job.runAt.getTime() + FETCH_MARGIN_MS);
  }

  /** One unref'd timer at the earliest run time this instance sent: it only makes the worker fetch, it runs nothing. */
  #nudgeWorker(workerId: string, at: number): void {
    if (this.#nudge && this.#nudgeAt <= at) return;
    if (this.#nudge) clearTimeout(this.#nudge);
    this.#nudgeAt = at;
    this.#nudge = setTimeout(
      () => {
        this.#nudge = null;
        this.#nudgeAt = Number.POSITIVE_INFINITY;
        if (!this.#passes.stopped) this.#options.boss.notifyWorker(workerId);
      },
      Math.max(0, at - Date.now()),
    );
    this.#nudge.unref?.();
  }
}
