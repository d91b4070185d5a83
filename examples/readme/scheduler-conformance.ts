// README › Schedulers: hold your own scheduler to the contract with your test runner.
import * as vitest from "vitest"; // or { describe, it, beforeEach, afterEach } from "node:test"
import { TimerScheduler } from "webhook-inbox";
import { describeSchedulerConformance } from "webhook-inbox/testing";

describeSchedulerConformance({
  name: "MyScheduler",
  // A fresh backend per test (your queue), with a poll interval long enough that no poll falls inside a test:
  // a scheduler built on QueuedPasses polls at whole multiples of the interval, so pick one whose next multiple is minutes away.
  create: async () => new TimerScheduler({ pollIntervalMs: 60_000 }),
  // createSibling: a second instance on the SAME backend, to check that two instances run a pass once.
  test: vitest,
});
