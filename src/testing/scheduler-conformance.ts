/**
 * The `Scheduler` conformance suite: one describe block per numbered section of the contract (each
 * in its own file under scheduler-conformance/), on real time, since schedulers are timers and queues.
 */
import { wakeUpsSection } from "./scheduler-conformance/01-wake-ups.ts";
import { dueTimesSection } from "./scheduler-conformance/02-due-times.ts";
import { stopSection } from "./scheduler-conformance/03-stop.ts";
import { twoInstancesSection } from "./scheduler-conformance/04-two-instances.ts";
import type { SchedulerConformanceOptions } from "./scheduler-conformance/api.ts";
import { type SchedulerSuite, createSchedulerSuite } from "./scheduler-conformance/suite.ts";

export type { SchedulerConformanceOptions } from "./scheduler-conformance/api.ts";

const SECTIONS: readonly ((suite: SchedulerSuite) => void)[] = [wakeUpsSection, dueTimesSection, stopSection, twoInstancesSection];

/**
 * Registers the `Scheduler` contract as tests: wake-ups coalesce, due times and `more` are honoured,
 * a stopped scheduler runs nothing, and (given `createSibling`) two instances over one backend do
 * not run the same pass twice. A scheduler is done when its test file calls this unmodified.
 *
 * @example
 * ```ts
 * import * as vitest from "vitest";
 * import { TimerScheduler } from "webhook-inbox";
 * import { describeSchedulerConformance } from "webhook-inbox/testing";
 *
 * describeSchedulerConformance({ name: "TimerScheduler", create: async () => new TimerScheduler({ pollIntervalMs: 60_000 }), test: vitest });
 * ```
 */
export function describeSchedulerConformance(options: SchedulerConformanceOptions): void {
  const { describe, afterEach } = options.test;
  const suite = createSchedulerSuite(options);
  describe(`Scheduler conformance: ${options.name}`, () => {
    afterEach(suite.tearDown);
    for (const section of SECTIONS) section(suite);
  });
}
