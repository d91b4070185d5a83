/** Scheduler conformance, section 2. due times: the next due time a run reports, and `more`, are honoured. */
import assert from "node:assert/strict";
import { recordRuns, sleep, startTimes } from "./recorder.ts";
import type { SchedulerSuite } from "./suite.ts";

export function dueTimesSection(suite: SchedulerSuite): void {
  const { describe, it, create, latencyMs } = suite;
  describe("2. due times", () => {
    it("runs again at the reported next due time: not before it, and at most latencyMs after", async () => {
      const scheduler = await create();
      let dueAt = 0;
      const recorder = recordRuns({
        report: (index) => {
          if (index > 0) return { more: false, nextDueAt: null };
          dueAt = Date.now() + 700;
          return { more: false, nextDueAt: new Date(dueAt) };
        },
      });
      scheduler.start(recorder.run);
      await recorder.waitForRuns(2, 700 + latencyMs * 3);
      const second = recorder.runs[1]!.startedAt;
      assert.ok(second >= dueAt, `ran ${dueAt - second} ms before the due time`);
      assert.ok(second - dueAt <= latencyMs, `ran ${second - dueAt} ms after the due time`);
      await sleep(latencyMs);
      assert.equal(recorder.runs.length, 2, startTimes(recorder.runs));
    });

    it("runs again at once, unwoken, while runs report more", async () => {
      const scheduler = await create();
      const recorder = recordRuns({ report: (index) => ({ more: index < 3, nextDueAt: null }) });
      scheduler.start(recorder.run);
      await recorder.waitForRuns(4, latencyMs * 5);
      for (let i = 1; i < 4; i++) {
        const gap = recorder.runs[i]!.startedAt - recorder.runs[i - 1]!.endedAt!;
        assert.ok(gap <= latencyMs, `run ${i} started ${gap} ms after the full run before it`);
      }
      await sleep(latencyMs);
      assert.equal(recorder.runs.length, 4, startTimes(recorder.runs));
    });

    it("honours a wake-up's delay", async () => {
      const scheduler = await create();
      const recorder = recordRuns();
      scheduler.start(recorder.run);
      await recorder.waitForRuns(1, latencyMs * 5);
      const wokenAt = Date.now();
      scheduler.wake(600);
      await recorder.waitForRuns(2, 600 + latencyMs * 2);
      const waited = recorder.runs[1]!.startedAt - wokenAt;
      assert.ok(waited >= 600 - 5, `ran ${waited} ms after wake(600)`);
      assert.ok(waited <= 600 + latencyMs, `ran ${waited} ms after wake(600)`);
    });
  });
}
