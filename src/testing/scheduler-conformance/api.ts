/** Scheduler conformance: the options a host passes in (its test runner, its scheduler factory). */
import type { Scheduler } from "../../index.ts";
import type { ConformanceTestApi } from "../store-conformance/api.ts";

/** Options of {@link describeSchedulerConformance}. */
export interface SchedulerConformanceOptions {
  /** Title of the describe() block, e.g. "BullMQScheduler". */
  name: string;
  /**
   * Returns a new, not yet started scheduler over a FRESH backend (queue, schema) of its own. Called
   * at most once per test. No poll may come during a test, or it counts as a run: a poll interval of 10 s or more, and
   * for a scheduler that polls at whole multiples of its interval (the queue-backed ones, `QueuedPasses`) one whose next
   * multiple is minutes away (a 60 s interval polls at every whole minute, whenever the test started).
   */
  create(): Promise<Scheduler>;
  /**
   * Optional second scheduler over the SAME backend as the last `create()`, to play "another process".
   * Without it the two-instance tests are skipped (an in-process scheduler has no shared backend).
   */
  createSibling?(): Promise<Scheduler>;
  /** Removes what `create()` made (queue, schema). The suite stops its schedulers first. */
  dispose?(): Promise<void>;
  /** How late a run may start after it was due (queue latency, polling); the first run after `start()` may take 5 times this. @default 1_000 */
  latencyMs?: number;
  /** The host's test runner: vitest, jest and node:test all fit (see `ConformanceTestApi`). */
  test: ConformanceTestApi;
}
