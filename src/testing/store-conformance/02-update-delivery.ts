/** Store conformance, section 2. updateDelivery: a stored delivery's status, reason and response change. */
import assert from "node:assert/strict";
import type { ConformanceSuite } from "./suite.ts";

export function updateDeliverySection(suite: ConformanceSuite): void {
  const { makeDelivery, makeEvent, insert, mustGetEvent, listAllEventIds, newestFirst, bytesOf, describe, it } = suite;
  describe("2. updateDelivery", () => {
    it("changes status, reason and response", async () => {
      const { delivery } = await insert({ status: "accepted" });
      const response = { status: 500, headers: { "content-type": "application/json" }, body: '{"error":"handler failed"}' };
      await suite.store.updateDelivery({ id: delivery.id, status: "failed", reason: "handler failed", response });
      const stored = await suite.store.getDelivery(delivery.id);
      assert.ok(stored);
      assert.equal(stored.status, "failed");
      assert.equal(stored.reason, "handler failed");
      assert.deepEqual(stored.response, response);
      assert.deepEqual(bytesOf(stored.rawBody), bytesOf(delivery.rawBody));

      await suite.store.updateDelivery({ id: delivery.id, reason: null });
      const cleared = await suite.store.getDelivery(delivery.id);
      assert.equal(cleared?.reason, null);
      assert.equal(cleared?.status, "failed");
      assert.deepEqual(cleared?.response, response);
    });

    it("releaseDedupeKey lets the provider's resend be stored again", async () => {
      const { delivery } = await insert({ dedupeKey: "qbo:resend" });
      const blocked = makeDelivery({ dedupeKey: "qbo:resend" });
      assert.equal((await suite.store.insertDelivery({ delivery: blocked, events: [] })).status, "duplicate");

      await suite.store.updateDelivery({ id: delivery.id, status: "failed", releaseDedupeKey: true });
      const resend = makeDelivery({ dedupeKey: "qbo:resend" });
      assert.deepEqual(await suite.store.insertDelivery({ delivery: resend, events: [makeEvent(resend)] }), {
        status: "inserted",
        deliveryId: resend.id,
      });
      const next = makeDelivery({ dedupeKey: "qbo:resend" });
      const result = await suite.store.insertDelivery({ delivery: next, events: [] });
      assert.deepEqual(result, { status: "duplicate", deliveryId: next.id, duplicateOf: resend.id });
    });

    it("adds events (re-parsing an unparseable delivery) together with the update", async () => {
      const delivery = makeDelivery({ status: "unparseable", reason: "bad JSON", tenantIds: [] });
      await suite.store.insertDelivery({ delivery, events: [] });
      const events = [makeEvent(delivery, { tenantId: "tenant-7" }), makeEvent(delivery, { tenantId: "tenant-8" })];
      await suite.store.updateDelivery({ id: delivery.id, status: "accepted", reason: null, events, tenantIds: ["tenant-7", "tenant-8"] });
      const stored = await suite.store.getDelivery(delivery.id);
      assert.ok(stored);
      assert.equal(stored.status, "accepted");
      assert.equal(stored.reason, null);
      assert.equal(stored.eventCount, 2);
      assert.deepEqual(stored.tenantIds, ["tenant-7", "tenant-8"]);
      assert.deepEqual(await listAllEventIds({ deliveryId: delivery.id }), newestFirst(events.map((e) => e.id)));
      assert.equal((await mustGetEvent(events[1]!.id)).status, "queued");
    });

    it("resolves true when it applied, false for an unknown delivery or one not in ifStatus (then nothing changes)", async () => {
      assert.equal(await suite.store.updateDelivery({ id: "no-such-delivery", status: "failed" }), false);
      const { delivery } = await insert({ status: "accepted" });
      assert.equal(await suite.store.updateDelivery({ id: delivery.id, reason: "noted" }), true);
      const before = await listAllEventIds({ deliveryId: delivery.id });
      const countBefore = (await suite.store.getDelivery(delivery.id))?.eventCount;
      const events = [makeEvent(delivery)];
      assert.equal(await suite.store.updateDelivery({ id: delivery.id, ifStatus: "unparseable", status: "failed", events }), false);
      const stored = await suite.store.getDelivery(delivery.id);
      assert.equal(stored?.status, "accepted");
      assert.equal(stored?.reason, "noted");
      assert.equal(stored?.eventCount, countBefore);
      assert.deepEqual(await listAllEventIds({ deliveryId: delivery.id }), before);
      assert.equal(await suite.store.updateDelivery({ id: delivery.id, ifStatus: "accepted", reason: null }), true);
    });

    it("ifStatus is a guard: of callers racing to re-parse one unparseable delivery, exactly one queues its events", async () => {
      const delivery = makeDelivery({ status: "unparseable", reason: "bad JSON", tenantIds: [] });
      await suite.store.insertDelivery({ delivery, events: [] });
      const racers = Array.from({ length: 4 }, () => [makeEvent(delivery), makeEvent(delivery)]);
      const applied = await Promise.all(
        racers.map((events) => suite.store.updateDelivery({ id: delivery.id, ifStatus: "unparseable", status: "accepted", reason: null, events })),
      );
      assert.equal(applied.filter(Boolean).length, 1, `applied: ${JSON.stringify(applied)}`);
      const winner = racers[applied.indexOf(true)]!;
      const stored = await suite.store.getDelivery(delivery.id);
      assert.equal(stored?.status, "accepted");
      assert.equal(stored?.eventCount, 2);
      assert.deepEqual(await listAllEventIds({ deliveryId: delivery.id }), newestFirst(winner.map((event) => event.id)));
    });
  });
}
