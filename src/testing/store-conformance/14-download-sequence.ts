/** Store conformance, section 14. download sequence: a store-wide counter that orders downloads, and the watermark keeping its greatest value. */
import assert from "node:assert/strict";
import type { EntityKey, NewEvent, Watermark, WebhookStore } from "../../index.ts";
import { at } from "./fixtures.ts";
import type { ConformanceSuite } from "./suite.ts";

export function downloadSequenceSection(suite: ConformanceSuite): void {
  const { insertEvent, claimOne, finishOne, keyOf, itWithSibling, describe, it } = suite;
  /** The store's sequence; every shipped store has one (a test for a store without it ends here). */
  function sequenceOf(store: WebhookStore): (() => Promise<number>) | null {
    return store.nextDownloadSequence ? () => store.nextDownloadSequence!() : null;
  }

  /** Claims and finishes `event` with `watermark`. */
  async function apply(event: NewEvent, watermark: Omit<Watermark, keyof EntityKey>): Promise<void> {
    const claimed = await claimOne(event.id, at(0));
    assert.equal(await finishOne(claimed, { watermark: { ...keyOf(event), ...watermark } }), true);
  }

  describe("14. download sequence (optional: WebhookStore.nextDownloadSequence)", () => {
    it("returns positive integers, each greater than every one before, also when called concurrently", async () => {
      const next = sequenceOf(suite.store);
      if (!next) return;
      const first = await next();
      assert.ok(Number.isSafeInteger(first) && first > 0, `sequence ${first}`);
      let last = first;
      for (let i = 0; i < 5; i += 1) {
        const value = await next();
        assert.ok(value > last, `${value} after ${last}`);
        last = value;
      }
      const together = await Promise.all(Array.from({ length: 20 }, () => next()));
      assert.equal(new Set(together).size, together.length, "a sequence value was handed out twice");
      assert.ok(together.every((value) => value > last));
    });

    itWithSibling("is one sequence for every instance over the same database", async (sibling) => {
      const mine = sequenceOf(suite.store);
      const theirs = sequenceOf(sibling);
      if (!mine || !theirs) return;
      const values: number[] = [];
      for (let i = 0; i < 6; i += 1) values.push(await (i % 2 === 0 ? mine : theirs)());
      assert.deepEqual(
        [...values].sort((a, b) => a - b),
        values,
        "later calls got smaller values",
      );
      assert.equal(new Set(values).size, values.length);
    });

    it("watermarks keep the greatest download sequence, whichever change they hold, and a mark without one keeps it", async () => {
      if (!sequenceOf(suite.store)) return;
      const key = { entityId: "inv-seq" };
      const [e1, e2, e3, e4] = [await insertEvent(key), await insertEvent(key), await insertEvent(key), await insertEvent(key)];

      await apply(e2!, { occurredAt: at(10_000), eventId: e2!.id, downloadedAt: at(20_000), downloadSequence: 5 });
      assert.deepEqual(await suite.store.getWatermarks([keyOf(e1!)]), [
        { ...keyOf(e1!), occurredAt: at(10_000), eventId: e2!.id, downloadedAt: at(20_000), downloadSequence: 5 },
      ]);

      // An older change downloaded later (a greater sequence, dated earlier: a clock stepped back):
      // the change stays, the sequence moves up, the download time never goes down.
      await apply(e1!, { occurredAt: at(5_000), eventId: e1!.id, downloadedAt: at(1_000), downloadSequence: 9 });
      assert.deepEqual(await suite.store.getWatermarks([keyOf(e1!)]), [
        { ...keyOf(e1!), occurredAt: at(10_000), eventId: e2!.id, downloadedAt: at(20_000), downloadSequence: 9 },
      ]);

      // A newer change with a smaller sequence: the change moves forward, the sequence does not go down.
      await apply(e3!, { occurredAt: at(30_000), eventId: e3!.id, downloadedAt: at(40_000), downloadSequence: 7 });
      assert.deepEqual(await suite.store.getWatermarks([keyOf(e1!)]), [
        { ...keyOf(e1!), occurredAt: at(30_000), eventId: e3!.id, downloadedAt: at(40_000), downloadSequence: 9 },
      ]);

      // A mark without a sequence (a worker of a release before sequences) keeps the stored one.
      await apply(e4!, { occurredAt: at(50_000), eventId: e4!.id, downloadedAt: at(50_000) });
      assert.deepEqual(await suite.store.getWatermarks([keyOf(e1!)]), [
        { ...keyOf(e1!), occurredAt: at(50_000), eventId: e4!.id, downloadedAt: at(50_000), downloadSequence: 9 },
      ]);
    });
  });
}
