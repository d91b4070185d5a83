// README › Schedulers: the inbox's passes as jobs on the queue your workers already run.
import PgBoss from "pg-boss";
import { type Scheduler, createWebhookInbox } from "webhook-inbox";
import { BullMQScheduler } from "webhook-inbox/bullmq";
import { PostgresStore } from "webhook-inbox/postgres";
import { PgBossScheduler } from "webhook-inbox/pg-boss";
import { quickbooks } from "webhook-inbox/quickbooks";

// BullMQ, on your Redis: jobs named "pass" on the queue "webhook-inbox" (bull-board lists them).
const onBullMQ: Scheduler = new BullMQScheduler({ connection: { host: "127.0.0.1", port: 6379 }, queueName: "webhook-inbox" });

// pg-boss 10, on your database: your started instance; the scheduler adds its queue to it.
const boss = new PgBoss(process.env.DATABASE_URL ?? "postgres://localhost/app");
await boss.start();
const onPgBoss: Scheduler = new PgBossScheduler({ boss, queueName: "webhook-inbox" });

const inbox = createWebhookInbox({
  store: new PostgresStore({ connectionString: process.env.DATABASE_URL ?? "postgres://localhost/app" }),
  scheduler: process.env.QUEUE === "pg-boss" ? onPgBoss : onBullMQ,
  integrations: {
    quickbooks: { provider: quickbooks({ verifierToken: process.env.QBO_VERIFIER_TOKEN ?? "", getAccessToken: async () => "token" }), mode: "immediate" },
  },
  handler: async (event) => console.log(event.entityType, event.entityId),
});

await inbox.start(); // every instance: its worker takes pass jobs, one at a time
process.once("SIGTERM", () => void inbox.stop().then(() => boss.stop())); // stop() waits for its pass in progress
