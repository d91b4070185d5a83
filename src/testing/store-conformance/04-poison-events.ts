/** Store conformance, section 4. poison events: an event whose started attempts reach maxAttempts unfinished is failed, not claimed again. */
import assert from "node:assert/strict";
import { poisonMessage } from "../../store-kit/index.ts";
import { LEASE_MS, SHORT_LEASE_MS, at, outlastShortLeases } from "./fixtures.ts";
import type { ConformanceSuite } from "./suite.ts";

export function poisonEventsSection(suite: ConformanceSuite): void {
  const { insertEvent, claim, claimOne, finishOne, mustGetEvent, describe, it } = suite;
  describe("4. poison events", () => {
    it("marks an event failed once its started-but-unfinished attempts reach maxAttempts", async () => {
      const event = await insertEvent({ maxAttempts: 2 });
      await claimOne(event.id, at(0), SHORT_LEASE_MS);
      await outlastShortLeases();
      await claimOne(event.id, at(LEASE_MS + 1), SHORT_LEASE_MS);
      const other = await insertEvent({ nextAttemptAt: at(LEASE_MS) });
      await outlastShortLeases();

      const result = await claim({ now: at(2 * LEASE_MS + 2), leaseMs: SHORT_LEASE_MS });
      assert.deepEqual(
        result.events.map((e) => e.id),
        [other.id],
      );
      assert.equal(result.poisoned.length, 1);
      const poisoned = result.poisoned[0]!;
      assert.equal(poisoned.id, event.id);
      assert.equal(poisoned.status, "failed");
      assert.equal(poisoned.lastError, poisonMessage({ attemptsStarted: 2, attemptsFinished: 0 }));

      const details = await mustGetEvent(event.id);
      assert.equal(details.status, "failed");
      assert.equal(details.lastError, poisoned.lastError);
      assert.equal(details.attemptsStarted, 2);
      assert.deepEqual(details.updatedAt, at(2 * LEASE_MS + 2));
      await outlastShortLeases(); // `other`'s lease
      assert.deepEqual(
        (await claim({ now: at(10 * LEASE_MS) })).events.map((e) => e.id),
        [other.id],
      );
      assert.deepEqual((await claim({ now: at(10 * LEASE_MS) })).poisoned, []);
    });

    it("lets an operator's requeue give a poisoned event its attempt (interrupted attempts forgiven)", async () => {
      const event = await insertEvent({ maxAttempts: 1 });
      await claimOne(event.id, at(0), SHORT_LEASE_MS);
      await outlastShortLeases();
      const poisoned = await claim({ now: at(LEASE_MS + 1) });
      assert.deepEqual(
        poisoned.poisoned.map((e) => e.id),
        [event.id],
      );
      assert.deepEqual(await suite.store.requeue({ now: at(LEASE_MS + 2), ids: [event.id] }), [event.id]);
      const again = await claim({ now: at(LEASE_MS + 3), ids: [event.id] });
      assert.deepEqual(
        again.events.map((e) => e.id),
        [event.id],
      );
      assert.deepEqual(again.poisoned, []);
      assert.equal(again.events[0]!.nextTrigger, "manual");
    });

    it("counts only unfinished attempts: finished ones do not make an event poison", async () => {
      const event = await insertEvent({ maxAttempts: 2 });
      const first = await claimOne(event.id, at(0));
      await finishOne(first, { status: "retrying", attemptsMade: 1, nextAttemptAt: at(1_000), lastError: "boom" });
      await claimOne(event.id, at(1_000), SHORT_LEASE_MS); // interrupted: never finished
      await outlastShortLeases();
      const { events, poisoned } = await claim({ now: at(1_000 + LEASE_MS + 1) });
      assert.deepEqual(
        events.map((e) => e.id),
        [event.id],
      );
      assert.deepEqual(poisoned, []);
      assert.equal(events[0]!.attemptsStarted, 3);
      assert.equal(events[0]!.attemptsFinished, 1);
    });
  });
}
