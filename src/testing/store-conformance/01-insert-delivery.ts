/** Store conformance, section 1. insertDelivery: one delivery and its events stored together, de-duplicated by key. */
import assert from "node:assert/strict";
import { isWebhookInboxError } from "../../index.ts";
import { at, BINARY_BODY } from "./fixtures.ts";
import type { ConformanceSuite } from "./suite.ts";

export function insertDeliverySection(suite: ConformanceSuite): void {
  const { makeDelivery, makeEvent, insert, insertEvent, mustGetEvent, listAllEventIds, newestFirst, bytesOf, describe, it } = suite;
  describe("1. insertDelivery", () => {
    it("stores a delivery and all its events together, with the exact bytes and headers", async () => {
      const delivery = makeDelivery({
        tenantIds: ["tenant-1", "tenant-2"],
        rawBody: BINARY_BODY,
        headers: { "content-type": "application/json", "intuit-signature": "[redacted]", "x-multi": "a, b" },
      });
      const events = [
        makeEvent(delivery, { tenantId: "tenant-1", occurredAt: at(-5_000) }),
        makeEvent(delivery, { tenantId: "tenant-2", entityType: "Customer", deleted: true, operation: "Delete" }),
      ];
      assert.deepEqual(await suite.store.insertDelivery({ delivery, events }), { status: "inserted", deliveryId: delivery.id });

      const stored = await suite.store.getDelivery(delivery.id);
      assert.ok(stored);
      assert.deepEqual(bytesOf(stored.rawBody), bytesOf(BINARY_BODY));
      const { rawBody: _rawBody, ...rest } = stored;
      const { rawBody: _expected, ...expected } = delivery;
      assert.deepEqual(rest, { ...expected, duplicateOf: null, eventCount: 2 });

      const listed = await suite.store.listEvents({ deliveryId: delivery.id });
      assert.deepEqual(
        listed.items.map((e) => e.id),
        newestFirst(events.map((e) => e.id)),
      );
      for (const event of events) {
        const details = await mustGetEvent(event.id);
        const { status: _status, ...fields } = event;
        assert.deepEqual(details, {
          ...fields,
          status: "queued",
          attemptsMade: 0,
          attemptsStarted: 0,
          attemptsFinished: 0,
          lastError: null,
          supersededBy: null,
          updatedAt: event.receivedAt,
          attemptsRemaining: event.maxAttempts,
          attempts: [],
          resourceData: null,
        });
      }
    });

    it("stores an empty body and a delivery without events", async () => {
      const delivery = makeDelivery({ rawBody: new Uint8Array(0), status: "unparseable", reason: "not JSON" });
      await suite.store.insertDelivery({ delivery, events: [] });
      const stored = await suite.store.getDelivery(delivery.id);
      assert.ok(stored);
      assert.deepEqual(bytesOf(stored.rawBody), []);
      assert.equal(stored.eventCount, 0);
      assert.equal(stored.status, "unparseable");
      assert.equal(stored.reason, "not JSON");
    });

    it("stores nothing of a delivery whose insert fails (an event id already taken)", async () => {
      const taken = await insertEvent();
      const delivery = makeDelivery();
      const fresh = makeEvent(delivery);
      await assert.rejects(
        suite.store.insertDelivery({ delivery, events: [fresh, { ...makeEvent(delivery), id: taken.id }] }),
        (error) => isWebhookInboxError(error) && error.code === "STORE_FAILED",
      );
      assert.equal(await suite.store.getDelivery(delivery.id), null);
      assert.equal(await suite.store.getEvent(fresh.id), null);
      const original = await mustGetEvent(taken.id);
      assert.equal(original.deliveryId, taken.deliveryId);
      // The failed insert did not take the dedupe key either.
      const retry = makeDelivery({ dedupeKey: delivery.dedupeKey });
      assert.equal((await suite.store.insertDelivery({ delivery: retry, events: [makeEvent(retry)] })).status, "inserted");
    });

    it("stores concurrent inserts independently: one failing insert does not fail the others", async () => {
      const taken = await insertEvent();
      const inputs = Array.from({ length: 20 }, () => {
        const delivery = makeDelivery();
        return { delivery, events: [makeEvent(delivery), makeEvent(delivery)] };
      });
      const bad = makeDelivery();
      const badInput = { delivery: bad, events: [makeEvent(bad), { ...makeEvent(bad), id: taken.id }] };
      const all = [...inputs.slice(0, 10), badInput, ...inputs.slice(10)];
      const results = await Promise.allSettled(all.map((input) => suite.store.insertDelivery(input)));
      results.forEach((result, index) => {
        if (all[index] === badInput) {
          assert.equal(result.status, "rejected");
          assert.ok(result.status === "rejected" && isWebhookInboxError(result.reason) && result.reason.code === "STORE_FAILED");
        } else {
          assert.equal(result.status, "fulfilled");
          assert.deepEqual(result.status === "fulfilled" && result.value, { status: "inserted", deliveryId: all[index]!.delivery.id });
        }
      });
      assert.equal(await suite.store.getDelivery(bad.id), null);
      const expected = [taken.id, ...inputs.flatMap((input) => input.events.map((e) => e.id))];
      assert.deepEqual(await listAllEventIds(), newestFirst(expected));
    });

    it("logs a repeated dedupeKey as a duplicate delivery pointing at the original, with no new events", async () => {
      const { delivery: original, events } = await insert({ dedupeKey: "qbo:abc" }, [{}, {}]);
      const again = makeDelivery({ dedupeKey: "qbo:abc", receivedAt: at(5_000) });
      const againEvents = [makeEvent(again)];
      assert.deepEqual(await suite.store.insertDelivery({ delivery: again, events: againEvents }), {
        status: "duplicate",
        deliveryId: again.id,
        duplicateOf: original.id,
      });
      const logged = await suite.store.getDelivery(again.id);
      assert.ok(logged);
      assert.equal(logged.status, "duplicate");
      assert.equal(logged.duplicateOf, original.id);
      assert.equal(logged.eventCount, 0);
      assert.deepEqual(bytesOf(logged.rawBody), bytesOf(again.rawBody));
      assert.equal(await suite.store.getEvent(againEvents[0]!.id), null);
      assert.deepEqual(await listAllEventIds(), newestFirst(events.map((e) => e.id)));

      // A third copy still points at the original, not at the duplicate.
      const third = makeDelivery({ dedupeKey: "qbo:abc" });
      const result = await suite.store.insertDelivery({ delivery: third, events: [makeEvent(third)] });
      assert.deepEqual(result, { status: "duplicate", deliveryId: third.id, duplicateOf: original.id });
    });

    it("detects duplicates among concurrent inserts: exactly one wins", async () => {
      const copies = Array.from({ length: 6 }, () => {
        const delivery = makeDelivery({ dedupeKey: "xero:same" });
        return { delivery, events: [makeEvent(delivery)] };
      });
      const results = await Promise.all(copies.map((copy) => suite.store.insertDelivery(copy)));
      const winners = results.filter((r) => r.status === "inserted");
      assert.equal(winners.length, 1);
      const winner = winners[0]!.deliveryId;
      for (const result of results) {
        if (result.status === "duplicate") assert.equal(result.duplicateOf, winner);
      }
      const winningEvent = copies.find((copy) => copy.delivery.id === winner)!.events[0]!;
      assert.deepEqual(await listAllEventIds(), [winningEvent.id]);
    });

    it("never de-duplicates deliveries without a key (rejected requests), and keeps their reason", async () => {
      const first = makeDelivery({ dedupeKey: null, status: "rejected", reason: "signature missing or invalid" });
      const second = makeDelivery({ dedupeKey: null, status: "rejected", reason: "signature missing or invalid" });
      const response = { status: 401, headers: { "content-type": "text/plain" }, body: "unauthorized" };
      for (const delivery of [first, second]) {
        const result = await suite.store.insertDelivery({ delivery: { ...delivery, response }, events: [] });
        assert.deepEqual(result, { status: "inserted", deliveryId: delivery.id });
      }
      const stored = await suite.store.getDelivery(second.id);
      assert.ok(stored);
      assert.equal(stored.status, "rejected");
      assert.equal(stored.reason, "signature missing or invalid");
      assert.equal(stored.dedupeKey, null);
      assert.deepEqual(stored.response, response);
    });
  });
}
