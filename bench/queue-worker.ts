/**
 * Child process for the job-queue alternatives doing job-per-event work: one job per event, one
 * instant fetch of that entity and a no-op handler per job.
 * - `pgboss <schema> <events>`: pg-boss 10 on the same PostgreSQL, 4 workers (`work()` ×4),
 *   batchSize 500 (the inbox's pass size), polling every 0.5 s (pg-boss's minimum).
 * - `bullmq <queue> <events> <concurrency>`: BullMQ on the local Redis, one Worker.
 * Protocol: `ready` (jobs enqueued), `go` → `done` ({ ms, completed }), `stop`.
 */
import { fromParent, runChild, toParent } from "./lib/child.ts";
import { DATABASE_URL, REDIS_URL } from "./lib/config.ts";
import { instantProvider } from "./lib/instant-provider.ts";
import { loadedEntity } from "./lib/load-events.ts";

const provider = instantProvider();
const noopHandler = async (_event: unknown) => {};

/** The work of one job: fetch its one entity (instant), run the handler. */
async function work(entity: { tenantId: string; entityType: string; entityId: string }): Promise<void> {
  const fetched = await provider.fetchResources({
    tenantId: entity.tenantId,
    entityType: entity.entityType,
    ids: [entity.entityId],
    signal: AbortSignal.timeout(30_000),
    observe: () => {},
  });
  await noopHandler({ ...entity, resource: fetched.get(entity.entityId) });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function pgBoss(schema: string, events: number): Promise<void> {
  const { default: PgBoss } = await import("pg-boss");
  const boss = new PgBoss({ connectionString: DATABASE_URL, schema, supervise: false, schedule: false });
  boss.on("error", (error) => console.error("pg-boss:", error));
  await boss.start();
  const queue = "bench-events";
  await boss.createQueue(queue);
  for (let start = 0; start < events; start += 1_000) {
    const jobs = [];
    for (let i = start; i < Math.min(events, start + 1_000); i += 1) jobs.push({ name: queue, data: loadedEntity(i) });
    await boss.insert(jobs);
  }
  toParent({ type: "ready" });
  await fromParent("go");
  const started = performance.now();
  let handled = 0;
  for (let worker = 0; worker < 4; worker += 1) {
    await boss.work<ReturnType<typeof loadedEntity>>(queue, { batchSize: 500, pollingIntervalSeconds: 0.5 }, async (jobs) => {
      for (const job of jobs) await work(job.data);
      handled += jobs.length;
    });
  }
  // Done when every job is completed in the database, not merely handled.
  while (handled < events || (await boss.getQueueSize(queue, { before: "completed" })) > 0) await sleep(10);
  const ms = performance.now() - started;
  toParent({ type: "done", ms, completed: handled });
  await fromParent("stop");
  await boss.stop({ graceful: false, wait: true });
}

async function bullmq(name: string, events: number, concurrency: number): Promise<void> {
  const [{ Queue, Worker }, { Redis }] = await Promise.all([import("bullmq"), import("ioredis")]);
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection });
  for (let start = 0; start < events; start += 1_000) {
    const jobs = [];
    for (let i = start; i < Math.min(events, start + 1_000); i += 1) jobs.push({ name: "event", data: loadedEntity(i) });
    await queue.addBulk(jobs);
  }
  toParent({ type: "ready" });
  await fromParent("go");
  const started = performance.now();
  let completed = 0;
  const workerConnection = connection.duplicate({ maxRetriesPerRequest: null });
  const worker = new Worker(name, async (job) => work(job.data as ReturnType<typeof loadedEntity>), { connection: workerConnection, concurrency });
  await new Promise<void>((resolve) => worker.on("completed", () => ++completed >= events && resolve()));
  const ms = performance.now() - started;
  toParent({ type: "done", ms, completed });
  await fromParent("stop");
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  await workerConnection.quit();
  await connection.quit();
}

runChild(async () => {
  const [system, location, events, concurrency] = process.argv.slice(2) as [string, string, string, string | undefined];
  if (system === "pgboss") await pgBoss(location, Number(events));
  else if (system === "bullmq") await bullmq(location, Number(events), Number(concurrency ?? 50));
  else throw new Error(`unknown queue system ${system}`);
  process.disconnect?.();
});
