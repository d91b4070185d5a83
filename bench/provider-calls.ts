/**
 * 2. Provider calls: N webhooks over K entities (several types, tenants, QuickBooks and Xero) drained
 * in `delayed` mode against the fakes with every rate limit lifted. Calls made / the minimum
 * `sum ceil(K_type,tenant / maxBatchSize(type))`, beside the naive one-fetch-per-event count and a
 * do-it-yourself BullMQ worker's count (one GET per job).
 */
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { MemoryStore, createWebhookInbox, type ProviderAdapter, type WebhookStore } from "../src/index.ts";
import type { BenchConfig } from "./lib/config.ts";
import { REDIS_URL } from "./lib/config.ts";
import { fetchOne, relaxedQuickBooks, seed, startRelaxedFakes, xeroAgainst } from "./lib/fakes.ts";
import { drainBacklogEveryStore } from "./provider-calls-stores.ts";
import { fmt, since, type ResultRow, type SectionResult } from "./lib/report.ts";
import { silentLogger } from "./lib/silent-logger.ts";
import { uniqueName } from "./lib/stores.ts";
import { changeSchedule, groupCounts, makeEntities, oneChangePerWebhook, shuffledWebhooks, type BenchEntity, type PreparedWebhook } from "./lib/workload.ts";

/** The fewest calls that download every entity once: per (provider, tenant, type), ceil(K / batch). */
export function minimumCalls(entities: readonly BenchEntity[], providers: Record<string, ProviderAdapter>): number {
  let calls = 0;
  for (const { entity, count } of groupCounts(entities).values()) calls += Math.ceil(count / providers[entity.provider]!.maxBatchSize(entity.entityType));
  return calls;
}

/** How the changes arrive: one per webhook in time order, or shuffled and packed 1–10 per webhook. */
export type Arrivals = "ordered" | "shuffled";

export interface InboxRun {
  readonly arrivals: Arrivals;
  readonly claimBatchSize: number | undefined;
  readonly calls: number;
  readonly throttled: number;
  readonly seconds: number;
  readonly succeeded: number;
  readonly stale: number;
  readonly other: number;
  readonly passes: number;
}

/** Webhooks received at once while a backlog is stored (group commit makes a durable store's fsyncs shared). */
const RECEIVE_CONCURRENCY = 64;

export async function drainWithInbox(
  fakes: Awaited<ReturnType<typeof startRelaxedFakes>>,
  arrivals: Arrivals,
  webhooks: readonly PreparedWebhook[],
  claimBatchSize: number | undefined,
  store: WebhookStore = new MemoryStore(),
): Promise<InboxRun> {
  fakes.qbo.calls.reset();
  fakes.xero.calls.reset();
  const inbox = createWebhookInbox({
    store,
    logger: silentLogger,
    ...(claimBatchSize === undefined ? {} : { claimBatchSize }),
    integrations: {
      qbo: { provider: relaxedQuickBooks(fakes.qbo), mode: "delayed", delayMs: 0 },
      xero: { provider: xeroAgainst(fakes.xero), mode: "delayed", delayMs: 0 },
    },
    handler: async () => {},
  });
  for (let i = 0; i < webhooks.length; i += RECEIVE_CONCURRENCY) {
    await Promise.all(
      webhooks.slice(i, i + RECEIVE_CONCURRENCY).map(async ({ integration, body, headers }) => {
        const result = await inbox.receive({ integration, rawBody: Buffer.from(body), headers });
        if (result.status >= 300) throw new Error(`receive answered ${result.status}: ${result.body}`);
      }),
    );
  }
  let passes = 0;
  const started = performance.now();
  // drain() is runDue() until nothing is due; counting passes shows how the backlog was cut.
  for (;;) {
    const report = await inbox.runDue();
    passes += 1;
    if (!report.more && (report.nextDueAt === null || report.nextDueAt.getTime() > Date.now())) break;
  }
  const seconds = since(started) / 1000;
  const counts = await inbox.countEvents();
  await inbox.stop();
  const count = (status: string) => counts.filter((row) => row.status === status).reduce((sum, row) => sum + row.count, 0);
  const total = counts.reduce((sum, row) => sum + row.count, 0);
  return {
    arrivals,
    claimBatchSize,
    calls: fakes.qbo.calls.total + fakes.xero.calls.total,
    throttled: fakes.qbo.calls.throttled + fakes.xero.calls.throttled,
    seconds,
    succeeded: count("succeeded"),
    stale: count("stale"),
    other: total - count("succeeded") - count("stale"),
    passes,
  };
}

/** The hand-written alternative: one BullMQ job per webhook, one GET per job. */
async function drainWithBullmq(fakes: Awaited<ReturnType<typeof startRelaxedFakes>>, schedule: ReturnType<typeof changeSchedule>, concurrency: number) {
  fakes.qbo.calls.reset();
  fakes.xero.calls.reset();
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const name = uniqueName("bench-calls");
  const queue = new Queue(name, { connection });
  try {
    for (let i = 0; i < schedule.length; i += 1_000) {
      await queue.addBulk(schedule.slice(i, i + 1_000).map(({ entity }) => ({ name: "webhook", data: entity, opts: { removeOnComplete: true } })));
    }
    const started = performance.now();
    let completed = 0;
    let failed = 0;
    const workerConnection = connection.duplicate({ maxRetriesPerRequest: null });
    const worker = new Worker(name, async (job) => fetchOne(fakes, job.data as BenchEntity), { connection: workerConnection, concurrency });
    await new Promise<void>((resolve) => {
      const check = () => completed + failed >= schedule.length && resolve();
      worker.on("completed", () => ((completed += 1), check()));
      worker.on("failed", () => ((failed += 1), check()));
    });
    const seconds = since(started) / 1000;
    await worker.close();
    await workerConnection.quit();
    return { calls: fakes.qbo.calls.total + fakes.xero.calls.total, completed, failed, seconds, concurrency };
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
    await connection.quit();
  }
}

/** Runs the provider-calls measurement (section 2). */
export async function runProviderCalls(config: BenchConfig): Promise<SectionResult> {
  const started = performance.now();
  const { webhooks, entities: entityCount, diyConcurrency } = config.providerCalls;
  const entities = makeEntities(entityCount, { qboRealms: 2, xeroTenants: 2 });
  const schedule = changeSchedule(entities, webhooks);
  const fakes = await startRelaxedFakes();
  const failures: string[] = [];
  try {
    seed(fakes, entities);
    const providers = { quickbooks: relaxedQuickBooks(fakes.qbo), xero: xeroAgainst(fakes.xero) };
    const minimum = minimumCalls(entities, providers);
    const groups = groupCounts(entities).size;
    // The default pass size (500), then one pass big enough for the whole backlog (10,000 is the most allowed);
    // each with arrivals in time order, one change per webhook, and shuffled with 1–10 changes per webhook
    // (what fragments batches when claims are cut by arrival order).
    const prepared: Record<Arrivals, PreparedWebhook[]> = { ordered: oneChangePerWebhook(schedule), shuffled: shuffledWebhooks(schedule) };
    const runs: InboxRun[] = [];
    for (const arrivals of ["ordered", "shuffled"] as const) {
      for (const claimBatchSize of [500, Math.min(10_000, webhooks)]) {
        const run = await drainWithInbox(fakes, arrivals, prepared[arrivals], claimBatchSize);
        runs.push(run);
        const where = `${arrivals}, claimBatchSize ${claimBatchSize}`;
        console.log(`  provider calls, ${where}: ${run.calls} calls (minimum ${minimum}) in ${run.passes} passes, ${run.seconds.toFixed(2)} s`);
        if (run.other > 0 || run.succeeded + run.stale !== webhooks)
          failures.push(`provider calls (${where}): ${run.other} events not finished (${run.succeeded} succeeded, ${run.stale} stale of ${webhooks})`);
        if (run.throttled > 0) failures.push(`provider calls (${where}): ${run.throttled} throttled calls with the limits lifted`);
      }
    }
    const backlog = await drainBacklogEveryStore(fakes, config.providerCalls.backlog, failures);
    const diy = await drainWithBullmq(fakes, schedule, diyConcurrency);
    console.log(`  provider calls, DIY BullMQ: ${diy.calls} calls in ${diy.seconds.toFixed(2)} s`);
    if (diy.failed > 0) failures.push(`provider calls: ${diy.failed} DIY BullMQ jobs failed`);
    const label = `N=${fmt(webhooks)} webhooks, K=${fmt(entityCount)} entities in ${groups} (provider, tenant, type) groups`;
    const rows: ResultRow[] = [
      ...runs.map((run) => ({
        section: "2 provider calls",
        variant: `webhook-inbox delayed, ${run.arrivals === "ordered" ? "1 change per webhook, in time order" : "shuffled, 1–10 changes per webhook"}, claimBatchSize ${fmt(run.claimBatchSize ?? 500)}${run.claimBatchSize === 500 ? " (default)" : ""}`,
        figure: `${fmt(run.calls)} calls / minimum ${fmt(minimum)} (${run.passes} passes, ${fmt(prepared[run.arrivals].length)} webhooks)`,
        ratio: run.calls / minimum,
        target: "= 1.00",
        met: run.calls === minimum,
      })),
      ...backlog.rows,
      { section: "2 provider calls", variant: "naive: one fetch per event", figure: `${fmt(webhooks)} calls`, ratio: webhooks / minimum },
      {
        section: "2 provider calls",
        variant: `DIY BullMQ worker (one GET per job, concurrency ${diyConcurrency})`,
        figure: `${fmt(diy.calls)} calls in ${diy.seconds.toFixed(1)} s`,
        ratio: diy.calls / minimum,
      },
    ];
    return {
      section: "provider-calls",
      rows,
      raw: { label, webhooks, entities: entityCount, groups, minimum, inbox: runs, naive: webhooks, diy, backlog: backlog.raw },
      failures,
      seconds: since(started) / 1000,
    };
  } finally {
    await fakes.close();
  }
}
