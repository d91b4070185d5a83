/**
 * Scheduler conformance, section 4. two instances over one backend (two processes): a wake-up or due
 * time is one pass, run by one of them, never by both.
 */
import assert from "node:assert/strict";
import { recordRuns, sleep } from "./recorder.ts";
import type { SchedulerSuite } from "./suite.ts";

export function twoInstancesSection(suite: SchedulerSuite): void {
  const { describe, itWithSibling, latencyMs } = suite;
  describe("4. two instances", () => {
    itWithSibling("runs the pass for a due time both instances know once, on one of them", async (first, sibling) => {
      // The store reports the same next due time to every process that runs a pass.
      const dueAt = Date.now() + 2_500 + latencyMs;
      const report = () => ({ more: false, nextDueAt: Date.now() < dueAt ? new Date(dueAt) : null });
      const a = recordRuns({ report });
      const b = recordRuns({ report });
      first.start(a.run);
      sibling.start(b.run);
      // Both instances must have run a pass (so both know the due time) before it comes.
      const until = Date.now() + 2_000;
      while ((a.runs.length === 0 || b.runs.length === 0) && Date.now() < until) {
        first.wake(0);
        sibling.wake(0);
        await sleep(50);
      }
      assert.ok(a.runs.length > 0 && b.runs.length > 0, "both instances should have run a pass before the due time");
      await sleep(dueAt - Date.now() + latencyMs * 2);
      const atDue = [...a.runs, ...b.runs].filter((run) => run.startedAt >= dueAt);
      assert.equal(atDue.length, 1, `the due time was run ${atDue.length} times`);
      assert.ok(atDue[0]!.startedAt - dueAt <= latencyMs);
    });

    itWithSibling("runs one wake-up once, on one of them", async (first, sibling) => {
      const a = recordRuns();
      const b = recordRuns();
      first.start(a.run);
      sibling.start(b.run);
      // Let the start-up passes end (on a loaded machine a queue's first job can take a while).
      const total = () => a.runs.length + b.runs.length;
      const until = Date.now() + latencyMs * 10;
      while (total() === 0 && Date.now() < until) await sleep(20);
      for (let seen = -1; seen !== total() && Date.now() < until; ) {
        seen = total();
        await sleep(latencyMs);
      }
      const before = total();
      first.wake(300);
      await sleep(300 + latencyMs * 2);
      assert.equal(total() - before, 1);
      assert.equal(a.overlapped || b.overlapped, false);
    });
  });
}
