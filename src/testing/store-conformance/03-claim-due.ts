/** Store conformance, section 3. claimDue: due events are leased, in order, to one claimer at a time. */
import assert from "node:assert/strict";
import { createId } from "../../store-kit/index.ts";
import { LEASE_MS, SHORT_LEASE_MS, at, outlastShortLeases } from "./fixtures.ts";
import type { ConformanceSuite } from "./suite.ts";

export function claimDueSection(suite: ConformanceSuite): void {
  const { itWithSibling, insert, insertEvent, claim, claimOne, finishInput, mustGetEvent, eventWithStatus, describe, it } = suite;
  describe("3. claimDue", () => {
    it("returns only due events, earliest nextAttemptAt first, at most `limit`", async () => {
      const late = await insertEvent({ nextAttemptAt: at(3_000) });
      const early = await insertEvent({ nextAttemptAt: at(1_000) });
      const middle = await insertEvent({ nextAttemptAt: at(2_000) });
      const future = await insertEvent({ nextAttemptAt: at(10_000) });
      await eventWithStatus("succeeded", { nextAttemptAt: at(0) });
      await eventWithStatus("failed", { nextAttemptAt: at(0) });
      await eventWithStatus("stale", { nextAttemptAt: at(0) });

      const first = await claim({ now: at(5_000), limit: 2 });
      assert.deepEqual(
        first.events.map((e) => e.id),
        [early.id, middle.id],
      );
      assert.deepEqual(first.poisoned, []);
      for (const claimed of first.events) {
        assert.equal(claimed.status, "processing");
        assert.equal(claimed.attemptsStarted, 1);
        assert.equal(claimed.attemptsFinished, 0);
        assert.equal(typeof claimed.leaseToken, "string");
        assert.ok(claimed.leaseToken.length > 0);
      }
      assert.notEqual(first.events[0]!.leaseToken, first.events[1]!.leaseToken);
      assert.deepEqual(first.events[0]!.payload, early.payload);

      const second = await claim({ now: at(5_000), limit: 10 });
      assert.deepEqual(
        second.events.map((e) => e.id),
        [late.id],
      );
      assert.deepEqual((await claim({ now: at(5_000) })).events, []);
      assert.deepEqual(
        (await claim({ now: at(10_000) })).events.map((e) => e.id),
        [future.id],
      );
      assert.equal((await mustGetEvent(early.id)).status, "processing");
    });

    it("with `ids`, considers only those events (still only due ones)", async () => {
      const a = await insertEvent({ nextAttemptAt: at(0) });
      const b = await insertEvent({ nextAttemptAt: at(1_000) });
      const notDue = await insertEvent({ nextAttemptAt: at(60_000) });
      const result = await claim({ now: at(2_000), ids: [b.id, notDue.id, createId()] });
      assert.deepEqual(
        result.events.map((e) => e.id),
        [b.id],
      );
      assert.equal((await mustGetEvent(a.id)).status, "queued");
      assert.deepEqual(
        (await claim({ now: at(2_000) })).events.map((e) => e.id),
        [a.id],
      );
    });

    it("never re-issues an event under a live lease", async () => {
      const event = await insertEvent();
      await claimOne(event.id, at(0));
      assert.deepEqual((await claim({ now: at(LEASE_MS - 1) })).events, []);
      assert.deepEqual((await claim({ now: at(LEASE_MS - 1), ids: [event.id] })).events, []);
      const details = await mustGetEvent(event.id);
      assert.equal(details.attemptsStarted, 1);
    });

    it("reclaims an event whose lease expired, counting another started attempt", async () => {
      const event = await insertEvent();
      const first = await claimOne(event.id, at(0), SHORT_LEASE_MS);
      await outlastShortLeases();
      const { events } = await claim({ now: at(LEASE_MS + 1), workerId: "worker-b" });
      assert.deepEqual(
        events.map((e) => e.id),
        [event.id],
      );
      const second = events[0]!;
      assert.notEqual(second.leaseToken, first.leaseToken);
      assert.equal(second.attemptsStarted, 2);
      assert.equal(second.attemptsFinished, 0);
      assert.equal((await mustGetEvent(event.id)).attemptsStarted, 2);
    });

    it("gives each event to exactly one of 10 concurrent claimers", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const { events } = await insert(
          {},
          Array.from({ length: 5 }, (_, j) => ({ nextAttemptAt: at(i * 10 + j) })),
        );
        ids.push(...events.map((e) => e.id));
      }
      const results = await Promise.all(Array.from({ length: 10 }, (_, worker) => claim({ now: at(1_000), limit: 3, workerId: `worker-${worker}` })));
      const claimed = results.flatMap((r) => r.events.map((e) => e.id));
      assert.equal(new Set(claimed).size, claimed.length, "an event was handed out twice");
      assert.deepEqual([...claimed].sort(), [...ids].sort());
      const tokens = results.flatMap((r) => r.events.map((e) => e.leaseToken));
      assert.equal(new Set(tokens).size, tokens.length);
    });

    itWithSibling("never hands one event to two store instances over the same database", async (sibling) => {
      const ids: string[] = [];
      for (let i = 0; i < 4; i += 1) {
        const { events } = await insert(
          {},
          Array.from({ length: 10 }, () => ({})),
        );
        ids.push(...events.map((e) => e.id));
      }
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, worker) => claim({ now: at(1_000), limit: 6, workerId: `worker-${worker}` }, worker % 2 === 0 ? suite.store : sibling)),
      );
      const claimed = results.flatMap((r) => r.events.map((e) => e.id));
      assert.equal(new Set(claimed).size, claimed.length, "an event was handed out twice");
      assert.deepEqual([...claimed].sort(), [...ids].sort());
      // The sibling sees the leases and the state the first instance wrote.
      assert.deepEqual((await claim({ now: at(2_000) }, sibling)).events, []);
      assert.equal((await mustGetEvent(ids[0]!, sibling)).status, "processing");
    });

    itWithSibling("lets a sibling finish an event it reclaimed after the lease expired", async (sibling) => {
      const event = await insertEvent();
      const lost = await claimOne(event.id, at(0), SHORT_LEASE_MS);
      await outlastShortLeases();
      const { events } = await claim({ now: at(LEASE_MS + 1), workerId: "worker-b" }, sibling);
      assert.deepEqual(
        events.map((e) => e.id),
        [event.id],
      );
      assert.deepEqual(await suite.store.finishAttempts([finishInput(lost)]), [false]);
      assert.deepEqual(await sibling.finishAttempts([finishInput(events[0]!)]), [true]);
      assert.equal((await mustGetEvent(event.id)).status, "succeeded");
    });
  });
}
