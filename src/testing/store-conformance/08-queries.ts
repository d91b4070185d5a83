/** Store conformance, section 8. listEvents, listDeliveries, countEvents, nextDueAt: the read side, paged and filtered. */
import assert from "node:assert/strict";
import { createId } from "../../store-kit/index.ts";
import type { EventFilter, NewEvent, WebhookStore } from "../../index.ts";
import { at } from "./fixtures.ts";
import type { ConformanceSuite } from "./suite.ts";

export function queriesSection(suite: ConformanceSuite): void {
  const { makeDelivery, insert, insertEvent, claim, claimOne, finishInput, newestFirst, describe, it } = suite;
  describe("8. listEvents, listDeliveries, countEvents, nextDueAt", () => {
    /** A small log with known values for every filter. */
    async function seedLog() {
      const d1 = await insert({ integration: "qbo", tenantIds: ["realm-1"], receivedAt: at(0) }, [
        { entityType: "Invoice", entityId: "inv-100", tenantId: "realm-1" },
        { entityType: "Customer", entityId: "cus-200", tenantId: "realm-1" },
      ]);
      const d2 = await insert({ integration: "xero", tenantIds: ["org-A", "org-B"], receivedAt: at(60_000) }, [
        { entityType: "Invoice", entityId: "INV-300", tenantId: "org-A" },
        { entityType: "Contact", entityId: "con-400", tenantId: "org-B" },
      ]);
      const d3 = await insert({ integration: "qbo", tenantIds: ["realm-2"], receivedAt: at(120_000) }, [
        { entityType: "Invoice", entityId: "inv-500", tenantId: "realm-2" },
      ]);
      const rejected = makeDelivery({
        integration: "xero",
        tenantIds: [],
        dedupeKey: null,
        status: "rejected",
        reason: "signature missing or invalid",
        receivedAt: at(180_000),
      });
      await suite.store.insertDelivery({ delivery: rejected, events: [] });
      const [i100, c200] = d1.events;
      const [i300, c400] = d2.events;
      const [i500] = d3.events;
      // Statuses: i100 succeeded, c200 failed, i300 processing, c400 and i500 queued.
      const claimed = await claim({ now: at(120_000), ids: [i100!.id, c200!.id, i300!.id] });
      const byId = new Map(claimed.events.map((c) => [c.id, c]));
      assert.deepEqual(
        await suite.store.finishAttempts([
          finishInput(byId.get(i100!.id)!, { now: at(130_000) }),
          finishInput(byId.get(c200!.id)!, { status: "failed", lastError: "nope", attemptsMade: 3, now: at(130_000) }),
        ]),
        [true, true],
      );
      return { d1, d2, d3, rejected, i100: i100!, c200: c200!, i300: i300!, c400: c400!, i500: i500! };
    }

    it("filters events by integration, tenant, status, entity, delivery, time and search", async () => {
      const { d1, i100, c200, i300, c400, i500 } = await seedLog();
      const ids = async (filter: EventFilter) => (await suite.store.listEvents(filter)).items.map((e) => e.id);
      const expect = (...events: NewEvent[]) => newestFirst(events.map((e) => e.id));

      assert.deepEqual(await ids({}), expect(i100, c200, i300, c400, i500));
      assert.deepEqual(await ids({ integration: "qbo" }), expect(i100, c200, i500));
      assert.deepEqual(await ids({ integration: ["qbo", "xero"] }), expect(i100, c200, i300, c400, i500));
      assert.deepEqual(await ids({ tenantId: "org-B" }), expect(c400));
      assert.deepEqual(await ids({ tenantId: ["realm-2", "org-A"] }), expect(i300, i500));
      assert.deepEqual(await ids({ status: "queued" }), expect(c400, i500));
      assert.deepEqual(await ids({ status: ["succeeded", "processing"] }), expect(i100, i300));
      assert.deepEqual(await ids({ status: [] }), []);
      assert.deepEqual(await ids({ entityType: "Invoice" }), expect(i100, i300, i500));
      assert.deepEqual(await ids({ entityId: "con-400" }), expect(c400));
      assert.deepEqual(await ids({ deliveryId: d1.delivery.id }), expect(i100, c200));
      assert.deepEqual(await ids({ receivedFrom: at(60_000) }), expect(i300, c400, i500));
      assert.deepEqual(await ids({ receivedTo: at(60_000) }), expect(i100, c200));
      assert.deepEqual(await ids({ receivedFrom: at(1), receivedTo: at(120_000) }), expect(i300, c400));
      assert.deepEqual(await ids({ integration: "qbo", entityType: "Invoice", status: "queued" }), expect(i500));
      // Search: a case-insensitive substring of the event id, delivery id, entity id or tenant id.
      assert.deepEqual(await ids({ search: "inv-" }), expect(i100, i300, i500));
      assert.deepEqual(await ids({ search: "ORG-" }), expect(i300, c400));
      assert.deepEqual(await ids({ search: i500.id.slice(-12) }), expect(i500));
      assert.deepEqual(await ids({ search: d1.delivery.id }), expect(i100, c200));
      // SQL wildcards are literal characters.
      assert.deepEqual(await ids({ search: "_" }), []);
      assert.deepEqual(await ids({ search: "%" }), []);
    });

    it("filters events by text over the last error, the payload and the resource data", async () => {
      const { events } = await insert({}, [
        { entityId: "e-error", payload: { memo: "plain" } },
        { entityId: "e-payload", payload: { memo: "Needle in the PAYLOAD" } },
        { entityId: "e-resource", payload: { memo: "plain" } },
        { entityId: "e-none", payload: { memo: "plain" } },
      ]);
      const [withError, withPayload, withResource, none] = events as [NewEvent, NewEvent, NewEvent, NewEvent];
      const failed = await claimOne(withError.id, withError.nextAttemptAt);
      assert.equal(
        (await suite.store.finishAttempts([finishInput(failed, { status: "failed", lastError: "Handler said: needle missing", attemptsMade: 3 })]))[0],
        true,
      );
      const fetched = await claimOne(withResource.id, withResource.nextAttemptAt);
      assert.equal(
        (await suite.store.finishAttempts([finishInput(fetched, { resource: { data: { Name: "Needle & Co", Total: 42.5 }, downloadedAt: at(900) } })]))[0],
        true,
      );
      const ids = async (filter: EventFilter) => (await suite.store.listEvents(filter)).items.map((e) => e.id);

      // Case-insensitive, in any of the three; ids are not part of text (that is search).
      assert.deepEqual(await ids({ text: "NEEDLE" }), newestFirst([withError.id, withPayload.id, withResource.id]));
      assert.deepEqual(await ids({ text: "needle missing" }), [withError.id]);
      assert.deepEqual(await ids({ text: "payload" }), [withPayload.id]);
      assert.deepEqual(await ids({ text: "42.5" }), [withResource.id]);
      assert.deepEqual(await ids({ text: "e-none" }), []);
      assert.deepEqual(await ids({ text: "plain" }), newestFirst([withError.id, withResource.id, none.id]));
      // Composes with the other filters, counts and retry-by-filter.
      assert.deepEqual(await ids({ text: "needle", status: "failed" }), [withError.id]);
      const counted = await suite.store.countEvents({ text: "needle" });
      assert.equal(
        counted.reduce((sum, row) => sum + row.count, 0),
        3,
      );
      assert.deepEqual(await suite.store.requeue({ now: at(2_000), filter: { text: "needle missing" } }), [withError.id]);
      // SQL wildcards are literal characters.
      assert.deepEqual(await ids({ text: "%" }), []);
    });

    it("filters deliveries by integration, tenant, status, time and search, without raw bodies", async () => {
      const { d1, d2, d3, rejected } = await seedLog();
      const page = await suite.store.listDeliveries({});
      assert.deepEqual(
        page.items.map((d) => d.id),
        newestFirst([d1, d2, d3].map((d) => d.delivery.id).concat(rejected.id)),
      );
      assert.equal(page.nextCursor, null);
      for (const item of page.items) assert.equal("rawBody" in item, false, "listDeliveries must not return rawBody");
      const summary = page.items.find((d) => d.id === d2.delivery.id)!;
      assert.deepEqual(summary.tenantIds, ["org-A", "org-B"]);
      assert.equal(summary.eventCount, 2);
      assert.deepEqual(summary.receivedAt, at(60_000));
      assert.deepEqual(summary.headers, d2.delivery.headers);

      const ids = async (filter: Parameters<WebhookStore["listDeliveries"]>[0]) => (await suite.store.listDeliveries(filter)).items.map((d) => d.id);
      assert.deepEqual(await ids({ integration: "xero" }), newestFirst([d2.delivery.id, rejected.id]));
      assert.deepEqual(await ids({ tenantId: "org-B" }), [d2.delivery.id]);
      assert.deepEqual(await ids({ tenantId: ["realm-1", "realm-2"] }), newestFirst([d1.delivery.id, d3.delivery.id]));
      assert.deepEqual(await ids({ status: "rejected" }), [rejected.id]);
      assert.deepEqual(await ids({ status: ["accepted", "rejected"] }).then((list) => list.length), 4);
      assert.deepEqual(await ids({ receivedFrom: at(60_000), receivedTo: at(180_000) }), newestFirst([d2.delivery.id, d3.delivery.id]));
      assert.deepEqual(await ids({ search: "SIGNATURE" }), [rejected.id]);
      assert.deepEqual(await ids({ search: d3.delivery.id }), [d3.delivery.id]);
      assert.deepEqual(await ids({ search: "%" }), []);
    });

    it("pages events newest first with a stable cursor while new events arrive", async () => {
      const { events } = await insert(
        {},
        Array.from({ length: 7 }, () => ({})),
      );
      const all = newestFirst(events.map((e) => e.id));
      const first = await suite.store.listEvents({ limit: 3 });
      assert.deepEqual(
        first.items.map((e) => e.id),
        all.slice(0, 3),
      );
      assert.ok(first.nextCursor);

      const { events: newer } = await insert({}, [{}, {}]);
      const second = await suite.store.listEvents({ limit: 3, cursor: first.nextCursor });
      assert.deepEqual(
        second.items.map((e) => e.id),
        all.slice(3, 6),
      );
      assert.ok(second.nextCursor);
      const third = await suite.store.listEvents({ limit: 3, cursor: second.nextCursor });
      assert.deepEqual(
        third.items.map((e) => e.id),
        all.slice(6),
      );
      assert.equal(third.nextCursor, null);

      // A page that is exactly full at the end says so.
      const everything = await suite.store.listEvents({ limit: 9 });
      assert.deepEqual(
        everything.items.map((e) => e.id),
        newestFirst([...all, ...newer.map((e) => e.id)]),
      );
      assert.equal(everything.nextCursor, null);
      // Paging composes with filters.
      const filtered = await suite.store.listEvents({ deliveryId: events[0]!.deliveryId, limit: 4 });
      assert.deepEqual(
        filtered.items.map((e) => e.id),
        all.slice(0, 4),
      );
      assert.ok(filtered.nextCursor);
      const rest = await suite.store.listEvents({ deliveryId: events[0]!.deliveryId, limit: 4, cursor: filtered.nextCursor });
      assert.deepEqual(
        rest.items.map((e) => e.id),
        all.slice(4),
      );
      assert.equal(rest.nextCursor, null);
    });

    it("pages deliveries newest first with a stable cursor", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) ids.push((await insert({}, [])).delivery.id);
      const all = newestFirst(ids);
      const first = await suite.store.listDeliveries({ limit: 2 });
      assert.deepEqual(
        first.items.map((d) => d.id),
        all.slice(0, 2),
      );
      await insert({}, []);
      const second = await suite.store.listDeliveries({ limit: 2, cursor: first.nextCursor! });
      assert.deepEqual(
        second.items.map((d) => d.id),
        all.slice(2, 4),
      );
      const third = await suite.store.listDeliveries({ limit: 2, cursor: second.nextCursor! });
      assert.deepEqual(
        third.items.map((d) => d.id),
        all.slice(4),
      );
      assert.equal(third.nextCursor, null);
    });

    it("counts events grouped by integration and status, only non-zero rows", async () => {
      await seedLog();
      const sort = (rows: readonly { integration: string; status: string; count: number }[]) =>
        [...rows].sort((a, b) => `${a.integration}/${a.status}`.localeCompare(`${b.integration}/${b.status}`));
      assert.deepEqual(sort(await suite.store.countEvents({})), [
        { integration: "qbo", status: "failed", count: 1 },
        { integration: "qbo", status: "queued", count: 1 },
        { integration: "qbo", status: "succeeded", count: 1 },
        { integration: "xero", status: "processing", count: 1 },
        { integration: "xero", status: "queued", count: 1 },
      ]);
      assert.deepEqual(sort(await suite.store.countEvents({ entityType: "Invoice" })), [
        { integration: "qbo", status: "queued", count: 1 },
        { integration: "qbo", status: "succeeded", count: 1 },
        { integration: "xero", status: "processing", count: 1 },
      ]);
      assert.deepEqual(await suite.store.countEvents({ integration: "nobody" }), []);
    });

    it("reports the earliest due time, leases included, or null", async () => {
      assert.equal(await suite.store.nextDueAt(), null);
      const a = await insertEvent({ nextAttemptAt: at(5_000) });
      const b = await insertEvent({ nextAttemptAt: at(3_000) });
      assert.deepEqual(await suite.store.nextDueAt(), at(3_000));
      const claimedB = await claimOne(b.id, at(3_000), 60_000);
      assert.deepEqual(await suite.store.nextDueAt({ now: at(3_000) }), at(5_000));
      const claimedA = await claimOne(a.id, at(5_000), 1_000);
      // A lease runs out within leaseMs of its claim, reported on the caller's clock (exactly
      // now + leaseMs for a store that times leases from `now`; a little less on a store's own clock).
      const leaseDue = (await suite.store.nextDueAt({ now: at(5_000) }))!.getTime();
      assert.ok(leaseDue > at(5_000).getTime() && leaseDue <= at(6_000).getTime(), `lease due at ${new Date(leaseDue).toISOString()}`);
      await suite.store.finishAttempts([finishInput(claimedA), finishInput(claimedB, { status: "failed", attemptsMade: 3 })]);
      assert.equal(await suite.store.nextDueAt(), null);
    });

    it("returns null for unknown ids", async () => {
      assert.equal(await suite.store.getEvent(createId()), null);
      assert.equal(await suite.store.getDelivery(createId()), null);
    });
  });
}
