// README › Schedulers: hold your own scheduler to the contract with your test runner.
import * as vitest from "vitest"; // or { describe, it, beforeEach, afterEach } from "node:test"
import { TimerScheduler } from "webhook-inbox";
import { describeSchedulerConformance } from "webhook-inbox/testing";

describeSchedulerConformance({
  name: "MyScheduler",
  // A fresh backend per test (your queue), with a poll interval of 10 s or more.
  create: async () => new TimerScheduler({ pollIntervalMs: 60_000 }),
  // createSibling: a second instance on the SAME backend, to check that two instances run a pass once.
  test: vitest,
});
