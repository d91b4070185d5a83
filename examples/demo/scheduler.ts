// The demo's scheduler: the --scheduler flag (timer, bullmq or pg-boss) and what each needs running.
import PgBoss from "pg-boss";
import type { Scheduler } from "webhook-inbox";
import { BullMQScheduler } from "webhook-inbox/bullmq";
import { PgBossScheduler } from "webhook-inbox/pg-boss";

export interface DemoScheduler {
  /** For `createWebhookInbox({ scheduler })`; undefined = the built-in timer. */
  readonly scheduler: Scheduler | undefined;
  /** One line for the banner. */
  readonly label: string;
  /** Closes what this module opened (the pg-boss instance), after `inbox.stop()`. */
  close(): Promise<void>;
}

const SCHEDULERS = ["timer", "bullmq", "pg-boss"] as const;
/** The demo's poll interval, short so its retries play out in seconds. */
const POLL_INTERVAL_MS = 250;

/** `--scheduler timer|bullmq|pg-boss` (default timer). Exits with a message for anything else or a missing service URL. */
export async function schedulerOption(args: readonly string[]): Promise<DemoScheduler> {
  const at = args.indexOf("--scheduler");
  const name = at === -1 ? "timer" : args[at + 1];
  const onError = (error: unknown) => console.error(`[${name}]`, error);
  switch (name) {
    case "timer":
      return { scheduler: undefined, label: "the in-process timer scheduler", close: async () => {} };
    case "bullmq": {
      const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
      const scheduler = new BullMQScheduler({ connection: { url }, queueName: "webhook-inbox-demo", pollIntervalMs: POLL_INTERVAL_MS, onError });
      return { scheduler, label: `BullMQ jobs on ${url} (queue webhook-inbox-demo)`, close: async () => {} };
    }
    case "pg-boss": {
      const url = process.env.DATABASE_URL;
      if (!url) {
        console.error("--scheduler pg-boss needs PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)");
        process.exit(2);
      }
      // The host's pg-boss, started by the host; the scheduler adds its queue to it.
      const boss = new PgBoss({ connectionString: url, schema: "webhook_inbox_demo_boss", max: 4 });
      boss.on("error", onError);
      await boss.start();
      const scheduler = new PgBossScheduler({ boss, queueName: "webhook-inbox-demo", pollIntervalMs: POLL_INTERVAL_MS, pollingIntervalSeconds: 0.5, onError });
      return { scheduler, label: "pg-boss jobs in PostgreSQL (schema webhook_inbox_demo_boss)", close: () => boss.stop({ graceful: true, wait: true }) };
    }
    default:
      console.error(`--scheduler must be one of ${SCHEDULERS.join(", ")}, not ${name === undefined ? "nothing" : JSON.stringify(name)}`);
      process.exit(2);
  }
}
