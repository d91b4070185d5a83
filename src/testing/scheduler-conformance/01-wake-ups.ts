/** Scheduler conformance, section 1. wake-ups: a run after start and after wake(), many wakes coalescing into one run. */
import assert from "node:assert/strict";
import { recordRuns, sleep, startTimes } from "./recorder.ts";
import type { SchedulerSuite } from "./suite.ts";

export function wakeUpsSection(suite: SchedulerSuite): void {
  const { describe, it, create, latencyMs } = suite;
  describe("1. wake-ups", () => {
    it("runs once soon after start(), then waits", async () => {
      const scheduler = await create();
      const recorder = recordRuns();
      scheduler.start(recorder.run);
      await recorder.waitForRuns(1, latencyMs * 5);
      await sleep(latencyMs);
      assert.equal(recorder.runs.length, 1, startTimes(recorder.runs));
    });

    it("coalesces many wake-ups inside one window into one run", async () => {
      const scheduler = await create();
      const recorder = recordRuns();
      scheduler.start(recorder.run);
      await recorder.waitForRuns(1, latencyMs * 5);
      for (let i = 0; i < 20; i++) scheduler.wake(200);
      await recorder.waitForRuns(2, 200 + latencyMs * 2);
      await sleep(latencyMs);
      assert.equal(recorder.runs.length, 2, startTimes(recorder.runs));
    });

    it("never runs two passes at once, and looks again after a pass when woken during it", async () => {
      const scheduler = await create();
      const recorder = recordRuns({ durationMs: 300 });
      scheduler.start(recorder.run);
      // Woken inside the first pass: its 300 ms have just begun. (Woken at a fixed time after start() instead, a loaded
      // machine may not have started that pass yet, and a pass that starts after a wake-up rightly answers it.)
      await recorder.waitForStarts(1, latencyMs * 5);
      for (let i = 0; i < 5; i++) scheduler.wake(0);
      await recorder.waitForRuns(2, 600 + latencyMs * 3);
      await sleep(300 + latencyMs);
      assert.equal(recorder.overlapped, false, "two runs of one scheduler overlapped");
      assert.ok(recorder.runs.length <= 3, `expected at most 3 runs, saw ${recorder.runs.length} (${startTimes(recorder.runs)})`);
    });
  });
}
