/**
 * Scheduler conformance suite state: the schedulers a test made (stopped after it), the runner's
 * functions, and the latency the host allows.
 */
import type { Scheduler } from "../../index.ts";
import type { ConformanceTestBody } from "../store-conformance/api.ts";
import type { SchedulerConformanceOptions } from "./api.ts";

/** What each section receives. */
export type SchedulerSuite = ReturnType<typeof createSchedulerSuite>;

export function createSchedulerSuite(options: SchedulerConformanceOptions) {
  const { describe, it } = options.test;
  const latencyMs = options.latencyMs ?? 1_000;
  let made: Scheduler[] = [];
  let created = false;

  async function create(): Promise<Scheduler> {
    const scheduler = await options.create();
    created = true;
    made.push(scheduler);
    return scheduler;
  }

  /** A test that needs a second instance over the same backend; skipped without `createSibling`. */
  function itWithSibling(title: string, body: (first: Scheduler, sibling: Scheduler) => Promise<void>): void {
    if (!options.createSibling) {
      const reason = `skipped: needs options.createSibling (a shared backend) — ${title}`;
      if (it.skip) it.skip(reason, () => {});
      else it(reason, () => {});
      return;
    }
    it(title, (async () => {
      const first = await create();
      const sibling = await options.createSibling!();
      made.push(sibling);
      await body(first, sibling);
    }) satisfies ConformanceTestBody);
  }

  async function tearDown(): Promise<void> {
    const stopping = made;
    made = [];
    await Promise.all(stopping.map((scheduler) => scheduler.stop()));
    if (created) await options.dispose?.();
    created = false;
  }

  return { describe, it, itWithSibling, create, tearDown, latencyMs };
}
