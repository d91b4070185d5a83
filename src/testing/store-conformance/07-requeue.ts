/** Store conformance, section 7. requeue: an operator puts finished events back in the queue. */
import assert from "node:assert/strict";
import { createId } from "../../store-kit/index.ts";
import { LEASE_MS, SHORT_LEASE_MS, at, outlastShortLeases } from "./fixtures.ts";
import type { ConformanceSuite } from "./suite.ts";

export function requeueSection(suite: ConformanceSuite): void {
  const { insertEvent, claim, claimOne, finishInput, mustGetEvent, eventWithStatus, describe, it } = suite;
  describe("7. requeue", () => {
    it("makes events due now for a manual retry, skipping succeeded and live-leased ones", async () => {
      const failed = await eventWithStatus("failed");
      const stale = await eventWithStatus("stale");
      const succeeded = await eventWithStatus("succeeded");
      const leased = await eventWithStatus("processing");
      const waiting = await insertEvent({ nextAttemptAt: at(3_600_000) });
      const now = at(2_000);

      const requeued = await suite.store.requeue({ now, ids: [failed.id, stale.id, succeeded.id, leased.id, waiting.id, createId()] });
      assert.deepEqual([...requeued].sort(), [failed.id, stale.id, waiting.id].sort());
      for (const id of requeued) {
        const details = await mustGetEvent(id);
        assert.equal(details.status, "queued");
        assert.equal(details.nextTrigger, "manual");
        assert.deepEqual(details.nextAttemptAt, now);
        assert.deepEqual(details.updatedAt, now);
      }
      assert.equal((await mustGetEvent(succeeded.id)).status, "succeeded");
      assert.equal((await mustGetEvent(leased.id)).status, "processing");

      const { events } = await claim({ now });
      assert.deepEqual([...events.map((e) => e.id)].sort(), [...requeued].sort());
      assert.ok(events.every((e) => e.nextTrigger === "manual"));
    });

    it("requeues an event whose lease expired, and its old token is then refused", async () => {
      const event = await insertEvent();
      const claimed = await claimOne(event.id, at(0), SHORT_LEASE_MS);
      await outlastShortLeases();
      assert.deepEqual(await suite.store.requeue({ now: at(LEASE_MS + 1), ids: [event.id] }), [event.id]);
      assert.deepEqual(await suite.store.finishAttempts([finishInput(claimed)]), [false]);
      assert.equal((await mustGetEvent(event.id)).status, "queued");
    });

    it("requeues by filter", async () => {
      const invoice = await eventWithStatus("failed", { entityType: "Invoice" });
      const customer = await eventWithStatus("failed", { entityType: "Customer" });
      await insertEvent({ entityType: "Invoice", nextAttemptAt: at(3_600_000) });
      const requeued = await suite.store.requeue({ now: at(2_000), filter: { entityType: "Invoice", status: "failed" } });
      assert.deepEqual(requeued, [invoice.id]);
      assert.equal((await mustGetEvent(customer.id)).status, "failed");
      assert.deepEqual(await suite.store.requeue({ now: at(2_000), filter: { integration: "nobody" } }), []);
    });
  });
}
