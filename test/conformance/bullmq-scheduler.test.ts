import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import * as vitest from "vitest";
import { describe, expect, it } from "vitest";
import { isWebhookInboxError } from "webhook-inbox";
import { BullMQScheduler } from "webhook-inbox/bullmq";
import { describeSchedulerConformance } from "webhook-inbox/testing";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

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

/** Whether Redis answers; the suite is skipped with a message when it does not. */
async function redisUp(): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => {}); // the failed connect is the answer, reported by the rejection below
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

if (!(await redisUp())) {
  describe.skip(`BullMQScheduler (skipped: no Redis at ${url}; set REDIS_URL)`, () => {
    it("needs Redis", () => {});
  });
} else {
  let queueName = "";
  let pollIntervalMs = 0;
  const errors: unknown[] = [];
  const make = () => new BullMQScheduler({ connection: { url }, queueName, pollIntervalMs, onError: (error) => errors.push(error) });

  describeSchedulerConformance({
    name: "BullMQScheduler",
    create: async () => {
      queueName = `wi-test-${randomBytes(6).toString("hex")}`;
      pollIntervalMs = pollIntervalAwayFromPolls();
      return make();
    },
    createSibling: async () => make(),
    dispose: async () => {
      const queue = new Queue(queueName, { connection: { url } });
      await queue.obliterate({ force: true });
      await queue.close();
      expect(errors).toEqual([]);
    },
    latencyMs: 500,
    test: vitest,
  });

  describe("BullMQScheduler specifics", () => {
    it("rejects bad options with a WebhookConfigError naming the option", () => {
      for (const options of [{}, { connection: { url }, queueName: "a:b" }, { connection: { url }, pollIntervalMs: 0 }, { connection: { url }, typo: 1 }]) {
        let caught: unknown;
        try {
          new BullMQScheduler(options as never);
        } catch (error) {
          caught = error;
        }
        expect(isWebhookInboxError(caught) && caught.code === "CONFIG_INVALID", JSON.stringify(options)).toBe(true);
      }
    });

    it("puts each pass on the queue as a job bull-board lists: named pass, id pass-<run time>, kept once completed", async () => {
      const name = `wi-test-${randomBytes(6).toString("hex")}`;
      const interval = pollIntervalAwayFromPolls();
      const scheduler = new BullMQScheduler({ connection: { url }, queueName: name, pollIntervalMs: interval });
      let runs = 0;
      const ran = new Promise<void>((resolve) => scheduler.start(async () => (runs++, resolve(), { more: false, nextDueAt: null })));
      await ran;
      await scheduler.stop();
      const queue = new Queue(name, { connection: { url } });
      const completed = await queue.getJobs(["completed"]);
      const delayed = await queue.getJobs(["delayed"]);
      expect(completed.map((job) => job.name)).toEqual(["pass"]);
      expect(completed[0]!.id).toMatch(/^pass-\d+$/);
      // The follow-up poll, at a whole multiple of the poll interval (plus one slot), waits for any instance.
      expect(delayed).toHaveLength(1);
      expect((Number(delayed[0]!.id!.slice(5)) - 50) % interval).toBe(0);
      expect(runs).toBe(1);
      await queue.obliterate({ force: true });
      await queue.close();
    });
  });
}
