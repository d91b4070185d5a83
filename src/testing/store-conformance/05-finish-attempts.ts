/** Store conformance, section 5. finishAttempts: an attempt's outcome is written only under its own lease. */
import assert from "node:assert/strict";
import type { Watermark } from "../../index.ts";
import { LEASE_MS, SHORT_LEASE_MS, at, outlastShortLeases } from "./fixtures.ts";
import type { ConformanceSuite } from "./suite.ts";

export function finishAttemptsSection(suite: ConformanceSuite): void {
  const { insertEvent, claim, claimOne, finishInput, finishOne, mustGetEvent, keyOf, describe, it } = suite;
  describe("5. finishAttempts", () => {
    it("records the attempt, the status fields and the resource data, and releases the lease", async () => {
      const event = await insertEvent();
      const claimed = await claimOne(event.id, at(0));
      const resource = { data: { Id: "42", TotalAmt: 12.5, Line: [{ Amount: 12.5 }] }, downloadedAt: at(400) };
      const ok = await finishOne(claimed, { resource, now: at(1_000) });
      assert.equal(ok, true);

      const details = await mustGetEvent(event.id);
      assert.equal(details.status, "succeeded");
      assert.equal(details.attemptsMade, 1);
      assert.equal(details.attemptsStarted, 1);
      assert.equal(details.attemptsFinished, 1);
      assert.equal(details.attemptsRemaining, 0); // final: nothing left to spend
      assert.equal(details.lastError, null);
      assert.deepEqual(details.updatedAt, at(1_000));
      assert.deepEqual(details.resourceData, resource);
      assert.deepEqual(details.attempts, [
        { eventId: event.id, number: 1, trigger: "scheduler", startedAt: at(500), endedAt: at(1_000), outcome: "succeeded", error: null },
      ]);
      // Finished: not due any more, and the token is spent.
      assert.deepEqual((await claim({ now: at(10 * LEASE_MS) })).events, []);
      assert.deepEqual(await suite.store.finishAttempts([finishInput(claimed)]), [false]);
    });

    it("numbers attempts 1.. across retries and keeps each outcome", async () => {
      const event = await insertEvent({ maxAttempts: 3 });
      const first = await claimOne(event.id, at(0));
      assert.equal(
        await finishOne(first, {
          attempt: { trigger: "scheduler", startedAt: at(10), endedAt: at(20), outcome: "failed", error: "HTTP 500" },
          status: "retrying",
          attemptsMade: 1,
          nextAttemptAt: at(5_000),
          nextTrigger: "scheduler",
          lastError: "HTTP 500",
          now: at(20),
        }),
        true,
      );
      const retrying = await mustGetEvent(event.id);
      assert.equal(retrying.status, "retrying");
      assert.deepEqual(retrying.nextAttemptAt, at(5_000));
      assert.equal(retrying.lastError, "HTTP 500");
      assert.equal(retrying.attemptsRemaining, 2);
      assert.deepEqual((await claim({ now: at(4_999) })).events, []);

      const second = await claimOne(event.id, at(5_000));
      await finishOne(second, {
        attempt: { trigger: "scheduler", startedAt: at(5_000), endedAt: at(5_010), outcome: "rate_limited", error: "429" },
        status: "retrying",
        attemptsMade: 1,
        nextAttemptAt: at(9_000),
        lastError: "429",
        now: at(5_010),
      });
      const third = await claimOne(event.id, at(9_000));
      await finishOne(third, {
        attempt: { trigger: "manual", startedAt: at(9_000), endedAt: at(9_001), outcome: "succeeded", error: null },
        attemptsMade: 1,
        now: at(9_001),
      });
      const details = await mustGetEvent(event.id);
      assert.deepEqual(
        details.attempts.map((a) => [a.number, a.outcome, a.trigger, a.error]),
        [
          [1, "failed", "scheduler", "HTTP 500"],
          [2, "rate_limited", "scheduler", "429"],
          [3, "succeeded", "manual", null],
        ],
      );
      assert.equal(details.attemptsMade, 1);
      assert.equal(details.attemptsStarted, 3);
      assert.equal(details.attemptsFinished, 3);
      assert.equal(details.status, "succeeded");
    });

    it("releases an event without recording an attempt when `attempt` is null", async () => {
      const event = await insertEvent();
      const claimed = await claimOne(event.id, at(0));
      await finishOne(claimed, {
        attempt: null,
        status: "queued",
        attemptsMade: 0,
        nextAttemptAt: at(30_000),
        nextTrigger: "scheduler",
        now: at(100),
      });
      const details = await mustGetEvent(event.id);
      assert.equal(details.status, "queued");
      assert.deepEqual(details.attempts, []);
      assert.equal(details.attemptsFinished, 1);
      assert.deepEqual(details.nextAttemptAt, at(30_000));
      assert.deepEqual((await claim({ now: at(29_999) })).events, []);
      assert.deepEqual(
        (await claim({ now: at(30_000) })).events.map((e) => e.id),
        [event.id],
      );
    });

    it("records stale events with what superseded them, and resource data that is null", async () => {
      const event = await insertEvent();
      const claimed = await claimOne(event.id, at(0));
      await finishOne(claimed, {
        attempt: { trigger: "scheduler", startedAt: at(10), endedAt: at(11), outcome: "stale", error: null },
        status: "stale",
        supersededBy: "download:2030-01-01T00:00:00.400Z",
        resource: { data: null, downloadedAt: at(5) },
      });
      const details = await mustGetEvent(event.id);
      assert.equal(details.status, "stale");
      assert.equal(details.supersededBy, "download:2030-01-01T00:00:00.400Z");
      assert.deepEqual(details.resourceData, { data: null, downloadedAt: at(5) });
      assert.equal(details.attempts[0]?.outcome, "stale");
    });

    it("returns false and changes nothing for a wrong lease token", async () => {
      const event = await insertEvent();
      const claimed = await claimOne(event.id, at(0));
      const before = await mustGetEvent(event.id);
      const watermark: Watermark = { ...keyOf(event), occurredAt: at(0), eventId: event.id, downloadedAt: at(1) };
      const results = await suite.store.finishAttempts([
        finishInput(claimed, { leaseToken: `${claimed.leaseToken}-wrong`, resource: { data: 1, downloadedAt: at(1) }, watermark }),
      ]);
      assert.deepEqual(results, [false]);
      assert.deepEqual(await mustGetEvent(event.id), before);
      assert.deepEqual(await suite.store.getWatermarks([keyOf(event)]), []);
      assert.equal(await finishOne(claimed), true);
    });

    it("returns false for a lease that expired and was reclaimed; the new holder finishes", async () => {
      const event = await insertEvent();
      const lost = await claimOne(event.id, at(0), SHORT_LEASE_MS);
      await outlastShortLeases();
      const winner = await claimOne(event.id, at(LEASE_MS + 1));
      assert.equal(await finishOne(lost, { status: "failed", lastError: "late" }), false);
      const during = await mustGetEvent(event.id);
      assert.equal(during.status, "processing");
      assert.deepEqual(during.attempts, []);
      assert.equal(during.attemptsFinished, 0);
      assert.equal(await finishOne(winner), true);
      assert.equal((await mustGetEvent(event.id)).status, "succeeded");
    });

    it("finishes a batch, reporting each result in order", async () => {
      const events = await Promise.all([insertEvent(), insertEvent(), insertEvent()]);
      const { events: claimed } = await claim({ now: at(0) });
      assert.equal(claimed.length, 3);
      const byId = new Map(claimed.map((c) => [c.id, c]));
      const [a, b, c] = events.map((e) => byId.get(e.id)!);
      const results = await suite.store.finishAttempts([
        finishInput(a!, { resource: { data: { n: "a" }, downloadedAt: at(1) } }),
        finishInput(b!, { leaseToken: "not-the-token" }),
        finishInput(c!, { status: "failed", lastError: "gone", attemptsMade: 3 }),
      ]);
      assert.deepEqual(results, [true, false, true]);
      assert.equal((await mustGetEvent(a!.id)).status, "succeeded");
      assert.deepEqual((await mustGetEvent(a!.id)).resourceData, { data: { n: "a" }, downloadedAt: at(1) });
      assert.equal((await mustGetEvent(b!.id)).status, "processing");
      const failed = await mustGetEvent(c!.id);
      assert.equal(failed.status, "failed");
      assert.equal(failed.lastError, "gone");
      assert.equal(failed.attemptsRemaining, 0);
      assert.deepEqual(await suite.store.finishAttempts([]), []);
    });
  });
}
