/**
 * Scheduler conformance, section 4. two instances over one backend (two processes): a wake-up or due
 * time is one pass, run by one of them, never by both.
 */
import assert from "node:assert/strict";
import { recordRuns, sleep, startTimes, waitUntil } from "./recorder.ts";
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
      const atDue = () => [...a.runs, ...b.runs].filter((run) => run.startedAt >= dueAt);
      // Waits for the due run (however late: its lateness is asserted below), then until 2 x latencyMs after the due time
      // (latencyMs at least) for a second one.
      await waitUntil(() => atDue().length > 0, dueAt - Date.now() + latencyMs * 5);
      await sleep(Math.max(dueAt + latencyMs * 2 - Date.now(), latencyMs));
      const runs = atDue();
      assert.equal(runs.length, 1, `the due time was run ${runs.length} times (${startTimes(runs)})`);
      assert.ok(runs[0]!.startedAt - dueAt <= latencyMs, `ran ${runs[0]!.startedAt - dueAt} ms after the due time`);
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
      const wokenAt = Date.now();
      first.wake(300);
      // Waits for the wake-up's run (however late), then for a second one as long as the test always allowed.
      await waitUntil(() => total() > before, 300 + latencyMs * 5);
      await sleep(latencyMs * 2);
      const all = [...a.runs, ...b.runs].sort((x, y) => x.startedAt - y.startedAt);
      assert.equal(total() - before, 1, `woken at ${new Date(wokenAt).toISOString()}: ${startTimes(all)}`);
      assert.equal(a.overlapped || b.overlapped, false);
    });
  });
}
