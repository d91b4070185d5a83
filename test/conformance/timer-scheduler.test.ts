import * as vitest from "vitest";
import { TimerScheduler } from "webhook-inbox";
import { describeSchedulerConformance } from "webhook-inbox/testing";

// In-process: no sibling over a shared backend, so the two-instance tests are skipped.
describeSchedulerConformance({ name: "TimerScheduler", create: async () => new TimerScheduler({ pollIntervalMs: 60_000 }), latencyMs: 150, test: vitest });
