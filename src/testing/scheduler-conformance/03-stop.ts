/** Scheduler conformance, section 3. stop: waits for the current run, and a stopped scheduler runs nothing. */
import assert from "node:assert/strict";
import { recordRuns, sleep } from "./recorder.ts";
import type { SchedulerSuite } from "./suite.ts";

export function stopSection(suite: SchedulerSuite): void {
  const { describe, it, create, latencyMs } = suite;
  describe("3. stop", () => {
    it("runs nothing once stopped: not a pending wake-up, a due time, or a later wake()", async () => {
      const scheduler = await create();
      const recorder = recordRuns({ report: () => ({ more: false, nextDueAt: new Date(Date.now() + 300) }) });
      scheduler.start(recorder.run);
      await recorder.waitForRuns(1, latencyMs * 5);
      scheduler.wake(100);
      await scheduler.stop();
      const seen = recorder.runs.length;
      scheduler.wake(0);
      await sleep(300 + latencyMs);
      assert.equal(recorder.runs.length, seen);
    });

    it("resolves stop() only after the run in progress ended", async () => {
      const scheduler = await create();
      const recorder = recordRuns({ durationMs: 400 });
      scheduler.start(recorder.run);
      const deadline = Date.now() + latencyMs * 5;
      while (recorder.runs.length === 0 && Date.now() < deadline) await sleep(10);
      assert.equal(recorder.runs.length, 1, "no run started");
      await scheduler.stop();
      assert.notEqual(recorder.runs[0]!.endedAt, null, "stop() resolved while a run was still going");
    });
  });
}
