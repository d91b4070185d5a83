/** Store conformance, section 6. watermarks: the newest change seen per entity. */
import assert from "node:assert/strict";
import type { EntityKey, NewEvent, Watermark } from "../../index.ts";
import { at } from "./fixtures.ts";
import type { ConformanceSuite } from "./suite.ts";

export function watermarksSection(suite: ConformanceSuite): void {
  const { insertEvent, claimOne, finishOne, keyOf, describe, it } = suite;
  describe("6. watermarks", () => {
    /** Claims and finishes `event` with `watermark`. */
    async function apply(event: NewEvent, watermark: Omit<Watermark, keyof EntityKey>): Promise<void> {
      const claimed = await claimOne(event.id, at(0));
      assert.equal(await finishOne(claimed, { watermark: { ...keyOf(event), ...watermark } }), true);
    }

    it("stores the first watermark and moves it only forward by (occurredAt, eventId)", async () => {
      const key = { entityId: "inv-wm" };
      const [e1, e2, e3, e4] = [await insertEvent(key), await insertEvent(key), await insertEvent(key), await insertEvent(key)];
      assert.deepEqual(await suite.store.getWatermarks([keyOf(e1!)]), []);

      await apply(e2!, { occurredAt: at(10_000), eventId: e2!.id, downloadedAt: at(20_000) });
      assert.deepEqual(await suite.store.getWatermarks([keyOf(e1!)]), [{ ...keyOf(e1!), occurredAt: at(10_000), eventId: e2!.id, downloadedAt: at(20_000) }]);

      // Older occurredAt: the watermark stays, but a later download time is kept.
      await apply(e1!, { occurredAt: at(5_000), eventId: e1!.id, downloadedAt: at(30_000) });
      assert.deepEqual(await suite.store.getWatermarks([keyOf(e1!)]), [{ ...keyOf(e1!), occurredAt: at(10_000), eventId: e2!.id, downloadedAt: at(30_000) }]);

      // Equal occurredAt, smaller eventId: no change (and an earlier download never lowers it).
      await apply(e3!, { occurredAt: at(10_000), eventId: e1!.id, downloadedAt: at(1) });
      assert.deepEqual(await suite.store.getWatermarks([keyOf(e1!)]), [{ ...keyOf(e1!), occurredAt: at(10_000), eventId: e2!.id, downloadedAt: at(30_000) }]);

      // Equal occurredAt, larger eventId: the tie-break moves it forward.
      await apply(e4!, { occurredAt: at(10_000), eventId: e4!.id, downloadedAt: at(25_000) });
      assert.deepEqual(await suite.store.getWatermarks([keyOf(e1!)]), [{ ...keyOf(e1!), occurredAt: at(10_000), eventId: e4!.id, downloadedAt: at(30_000) }]);
    });

    it("keeps one watermark per entity key and returns several at once", async () => {
      const a = await insertEvent({ entityId: "shared-id", tenantId: "tenant-1" });
      const b = await insertEvent({ entityId: "shared-id", tenantId: "tenant-2" });
      const c = await insertEvent({ entityId: "shared-id", tenantId: "tenant-1", entityType: "Customer" });
      await apply(a, { occurredAt: at(1), eventId: a.id, downloadedAt: at(2) });
      await apply(b, { occurredAt: at(3), eventId: b.id, downloadedAt: at(4) });
      const missing: EntityKey = { ...keyOf(a), entityId: "nobody" };
      const found = await suite.store.getWatermarks([keyOf(b), missing, keyOf(a), keyOf(c)]);
      const sorted = [...found].sort((x, y) => x.occurredAt.getTime() - y.occurredAt.getTime());
      assert.deepEqual(sorted, [
        { ...keyOf(a), occurredAt: at(1), eventId: a.id, downloadedAt: at(2) },
        { ...keyOf(b), occurredAt: at(3), eventId: b.id, downloadedAt: at(4) },
      ]);
      assert.deepEqual(await suite.store.getWatermarks([]), []);
    });
  });
}
