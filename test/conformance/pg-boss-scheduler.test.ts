import { randomBytes } from "node:crypto";
import PgBoss from "pg-boss";
import * as vitest from "vitest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isWebhookInboxError } from "webhook-inbox";
import { PgBossScheduler } from "webhook-inbox/pg-boss";
import { describeSchedulerConformance } from "webhook-inbox/testing";

const url = process.env.DATABASE_URL;

/**
 * A poll interval (about an hour) whose next whole multiple is at least ten minutes away. Polls come at whole multiples of
 * the interval (every instance picks the same ones), and the conformance suite counts every run: with 60 s, a test that
 * straddles a whole minute sees the poll there as one run too many.
 */
function pollIntervalAwayFromPolls(): number {
  const now = Date.now();
  let interval = 3_600_000;
  // Whole seconds (a multiple of the 50 ms slot, so a poll runs at a multiple plus one slot); each step moves the next multiple far.
  while (Math.ceil(now / interval) * interval - now < 600_000) interval -= 1_000;
  return interval;
}

if (!url) {
  describe.skip("PgBossScheduler (skipped: set DATABASE_URL to run)", () => {
    it("needs PostgreSQL", () => {});
  });
} else {
  // Two pg-boss instances (two pools) over one schema: the sibling plays another process.
  const schema = `wi_boss_${randomBytes(6).toString("hex")}`;
  const boss = new PgBoss({ connectionString: url, schema, max: 4 });
  const siblingBoss = new PgBoss({ connectionString: url, schema, max: 4 });
  const errors: unknown[] = [];
  for (const instance of [boss, siblingBoss]) instance.on("error", (error) => errors.push(error));
  beforeAll(async () => {
    await boss.start();
    await siblingBoss.start();
  });
  afterAll(async () => {
    await Promise.all([boss.stop({ graceful: false, wait: true }), siblingBoss.stop({ graceful: false, wait: true })]);
    const cleanup = new PgBoss({ connectionString: url, schema: "public", max: 1 });
    await cleanup.getDb().executeSql(`drop schema if exists "${schema}" cascade`, []);
    await cleanup.stop({ graceful: false });
  });

  let queueName = "";
  let pollIntervalMs = 0;
  const options = (instance: PgBoss) => ({
    boss: instance,
    queueName,
    pollIntervalMs,
    pollingIntervalSeconds: 0.5,
    onError: (error: unknown) => errors.push(error),
  });

  describeSchedulerConformance({
    name: "PgBossScheduler",
    create: async () => {
      queueName = `wi-test-${randomBytes(6).toString("hex")}`;
      pollIntervalMs = pollIntervalAwayFromPolls();
      return new PgBossScheduler(options(boss));
    },
    createSibling: async () => new PgBossScheduler(options(siblingBoss)),
    // Each test's queue is left to the schema, dropped after the file (pg-boss's deleteQueue trips over its own foreign key).
    dispose: async () => {
      expect(errors).toEqual([]);
    },
    latencyMs: 800,
    test: vitest,
  });

  describe("PgBossScheduler specifics", () => {
    it("rejects bad options with a WebhookConfigError naming the option", () => {
      for (const bad of [{}, { boss: {} }, { boss, queueName: "a b" }, { boss, pollingIntervalSeconds: 0.1 }, { boss, typo: 1 }]) {
        let caught: unknown;
        try {
          new PgBossScheduler(bad as never);
        } catch (error) {
          caught = error;
        }
        expect(isWebhookInboxError(caught) && caught.code === "CONFIG_INVALID", JSON.stringify(Object.keys(bad))).toBe(true);
      }
    });

    it("keeps each pass as a job in the host's pg-boss schema, and leaves the host's boss running after stop()", async () => {
      const name = `wi-test-${randomBytes(6).toString("hex")}`;
      const interval = pollIntervalAwayFromPolls();
      const scheduler = new PgBossScheduler({ boss, queueName: name, pollIntervalMs: interval });
      const ran = new Promise<void>((resolve) => scheduler.start(async () => (resolve(), { more: false, nextDueAt: null })));
      await ran;
      await scheduler.stop();
      const { rows } = await boss.getDb().executeSql(`select state, data from "${schema}".job where name = $1 order by start_after`, [name]);
      expect(rows.map((row) => row.state)).toEqual(["completed", "created"]);
      expect(Date.parse(rows[1].data.runAt) % interval).toBe(50); // the next poll: a whole multiple of the interval, plus one slot
      expect(await boss.getQueueSize(name)).toBe(1);
    });
  });
}
