/** Store conformance, section 4b. started attempts: only events whose handler started are charged, and an interrupted one is claimed alone. */
import assert from "node:assert/strict";
import type { ClaimedEvent, GroupClaimOptions } from "../../index.ts";
import { LEASE_MS, SHORT_LEASE_MS, at, outlastShortLeases } from "./fixtures.ts";
import type { ConformanceSuite } from "./suite.ts";

const GROUPS: GroupClaimOptions = { batchSize: () => 10 };

export function startedAttemptsSection(suite: ConformanceSuite): void {
  const { insertEvent, claimOnly, finishOne, mustGetEvent, describe, it } = suite;
  const start = (events: readonly ClaimedEvent[], now = at(0)) =>
    suite.store.startAttempts!({ now, leases: events.map((e) => ({ eventId: e.id, leaseToken: e.leaseToken })) });
  const ids = (events: readonly { id: string }[]) => events.map((e) => e.id).sort();

  /** Skips (passes) the test when the store counts every claim instead (no `startAttempts`). */
  const withStarts = (title: string, body: () => Promise<void>) =>
    it(`${title} [needs startAttempts]`, async () => {
      if (!suite.store.startAttempts) return;
      await body();
    });

  describe("4b. started attempts", () => {
    withStarts("a claim alone starts nothing; startAttempts counts the start while the lease is the caller's", async () => {
      const event = await insertEvent();
      const { events } = await claimOnly({ now: at(0) });
      assert.deepEqual(ids(events), [event.id]);
      assert.equal(events[0]!.attemptsStarted, 0);
      assert.equal((await mustGetEvent(event.id)).attemptsStarted, 0);
      assert.deepEqual(await start(events), [true]);
      assert.equal((await mustGetEvent(event.id)).attemptsStarted, 1);
      assert.deepEqual(await start([{ ...events[0]!, leaseToken: "not-the-lease" }]), [false]);
      assert.equal((await mustGetEvent(event.id)).attemptsStarted, 1);
      assert.equal(await finishOne(events[0]!), true);
      const finished = await mustGetEvent(event.id);
      assert.deepEqual([finished.attemptsStarted, finished.attemptsFinished], [1, 1]);
      // A finish whose handler never started counts as an attempt started and finished.
      const other = await insertEvent();
      const [unstarted] = (await claimOnly({ now: at(1_000), ids: [other.id] })).events;
      assert.equal(await finishOne(unstarted!, { status: "stale", supersededBy: "newer" }), true);
      const stale = await mustGetEvent(other.id);
      assert.deepEqual([stale.attemptsStarted, stale.attemptsFinished], [1, 1]);
    });

    withStarts("an event claimed again and again without its handler starting is never poisoned", async () => {
      const event = await insertEvent({ maxAttempts: 2 });
      for (let round = 0; round < 3; round += 1) {
        const { events, poisoned } = await claimOnly({ now: at(round * (LEASE_MS + 1)), leaseMs: SHORT_LEASE_MS, groups: GROUPS });
        assert.deepEqual(ids(events), [event.id]);
        assert.deepEqual(poisoned, []);
        await outlastShortLeases();
      }
      assert.equal((await mustGetEvent(event.id)).attemptsStarted, 0);
    });

    withStarts("a group claim takes an event with an interrupted attempt alone (its entity's events only), then poisons it", async () => {
      const poison = await insertEvent({ entityId: "poison", maxAttempts: 2, nextAttemptAt: at(0) });
      const neighbours = [await insertEvent({ entityId: "n-1", nextAttemptAt: at(1) }), await insertEvent({ entityId: "n-2", nextAttemptAt: at(2) })];
      // A pass claims all three; the process dies while the poison's handler (and n-1's) runs.
      const first = await claimOnly({ now: at(10), leaseMs: SHORT_LEASE_MS, groups: GROUPS });
      assert.deepEqual(ids(first.events), ids([poison, ...neighbours]));
      await start(first.events.filter((e) => e.id !== neighbours[1]!.id));
      await outlastShortLeases();
      const sibling = await insertEvent({ entityId: "poison", nextAttemptAt: at(20) });

      // Interrupted events are claimed one entity at a time; the poison's with its sibling event.
      const alone = await claimOnly({ now: at(LEASE_MS + 1), leaseMs: SHORT_LEASE_MS, groups: GROUPS });
      assert.deepEqual(ids(alone.events), ids([poison, sibling]));
      await start(alone.events.filter((e) => e.id === poison.id)); // dies again
      await outlastShortLeases();
      const next = await claimOnly({ now: at(2 * LEASE_MS + 2), leaseMs: SHORT_LEASE_MS, groups: GROUPS });
      // Started twice, never finished: maxAttempts 2 reached, failed; its entity's other event comes with it.
      assert.deepEqual(ids(next.poisoned), [poison.id]);
      assert.deepEqual(ids(next.events), [sibling.id]);
      assert.equal((await mustGetEvent(poison.id)).status, "failed");
      for (const event of next.events) assert.equal(await finishOne(event), true);

      // n-1 (interrupted once) alone, then n-2 (never started) with the rest of the group.
      const n1 = await claimOnly({ now: at(3 * LEASE_MS), groups: GROUPS });
      assert.deepEqual(ids(n1.events), [neighbours[0]!.id]);
      await start(n1.events);
      assert.equal(await finishOne(n1.events[0]!), true);
      const rest = await claimOnly({ now: at(3 * LEASE_MS), groups: GROUPS });
      assert.deepEqual(ids(rest.events), [neighbours[1]!.id]);
    });
  });
}
