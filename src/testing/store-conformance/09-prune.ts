/** Store conformance, section 9. prune: finished events and orphaned deliveries older than the cutoff are removed; failed and unfinished ones kept. */
import assert from "node:assert/strict";
import type { Watermark } from "../../index.ts";
import { at } from "./fixtures.ts";
import type { ConformanceSuite } from "./suite.ts";

export function pruneSection(suite: ConformanceSuite): void {
  const { makeDelivery, insert, insertEvent, claim, finishInput, eventWithStatus, listAllEventIds, newestFirst, keyOf, describe, it } = suite;
  describe("9. prune", () => {
    it("removes succeeded and stale events older than the cutoff, keeps failed and unfinished ones; removes old deliveries left without events but unparseable ones", async () => {
      const old = at(1_000);
      const cutoff = at(100_000);
      const gone = await insert({}, [{}, {}]);
      const mixed = await insert({}, [{}, {}]);
      const [succeeded, stale] = gone.events;
      const [mixedSucceeded, mixedQueued] = mixed.events;
      const failed = await eventWithStatus("failed", {}, old);
      const recent = await eventWithStatus("succeeded", {}, at(200_000));
      const oldQueued = await insertEvent({ nextAttemptAt: at(0) });
      const rejected = makeDelivery({ dedupeKey: null, status: "rejected", reason: "bad signature" });
      const recentRejected = makeDelivery({ dedupeKey: null, status: "rejected", reason: "bad signature", receivedAt: at(200_000) });
      const unparseable = makeDelivery({ status: "unparseable", reason: "not JSON" });
      for (const delivery of [rejected, recentRejected, unparseable]) await suite.store.insertDelivery({ delivery, events: [] });

      const claimed = await claim({ now: at(0), ids: [succeeded!.id, stale!.id, mixedSucceeded!.id] });
      const byId = new Map(claimed.events.map((c) => [c.id, c]));
      const watermark: Watermark = { ...keyOf(succeeded!), occurredAt: at(0), eventId: succeeded!.id, downloadedAt: at(10) };
      await suite.store.finishAttempts([
        finishInput(byId.get(succeeded!.id)!, { now: old, resource: { data: { kept: false }, downloadedAt: at(10) }, watermark }),
        finishInput(byId.get(stale!.id)!, { now: old, status: "stale", supersededBy: succeeded!.id }),
        finishInput(byId.get(mixedSucceeded!.id)!, { now: old }),
      ]);

      assert.equal(await suite.store.prune({ olderThan: cutoff }), 3);
      for (const id of [succeeded!.id, stale!.id, mixedSucceeded!.id]) assert.equal(await suite.store.getEvent(id), null);
      for (const id of [mixedQueued!.id, failed.id, recent.id, oldQueued.id]) assert.ok(await suite.store.getEvent(id));
      assert.equal(await suite.store.getDelivery(gone.delivery.id), null);
      assert.ok(await suite.store.getDelivery(mixed.delivery.id));
      assert.ok(await suite.store.getDelivery(failed.deliveryId));
      assert.equal(await suite.store.getDelivery(rejected.id), null);
      assert.ok(await suite.store.getDelivery(recentRejected.id));
      assert.ok(await suite.store.getDelivery(unparseable.id));
      assert.deepEqual(await listAllEventIds(), newestFirst([mixedQueued!.id, failed.id, recent.id, oldQueued.id]));
      // Watermarks outlive the events: they still guard against old data.
      assert.deepEqual(await suite.store.getWatermarks([keyOf(succeeded!)]), [watermark]);
      assert.equal(await suite.store.prune({ olderThan: cutoff }), 0);
    });
  });
}
