/** Store conformance, section 3b. one claimer per entity: two events of one entity are never leased together. */
import assert from "node:assert/strict";
import { SHORT_LEASE_MS, at, outlastShortLeases } from "./fixtures.ts";
import type { ConformanceSuite } from "./suite.ts";

export function oneClaimerPerEntitySection(suite: ConformanceSuite): void {
  const { insertEvent, claim, claimOne, describe, it } = suite;
  describe("3b. one claimer per entity", () => {
    it("skips events of an entity while another of its events is under a live lease", async () => {
      const first = await insertEvent({ entityId: "shared-entity" });
      await claimOne(first.id, at(0), SHORT_LEASE_MS);
      const second = await insertEvent({ entityId: "shared-entity" });
      const unrelated = await insertEvent({ entityId: "other-entity" });
      const during = await claim({ now: at(1) });
      assert.deepEqual(
        during.events.map((e) => e.id),
        [unrelated.id],
      );
      await outlastShortLeases();
      const after = await claim({ now: at(SHORT_LEASE_MS + 1) }); // the first lease expired
      assert.deepEqual(after.events.map((e) => e.id).sort(), [first.id, second.id].sort());
    });
  });
}
