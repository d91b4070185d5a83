/** Store conformance, section 3c. group claims: whole entities in whole provider batches, tenants in turn. */
import assert from "node:assert/strict";
import type { GroupClaimOptions, NewEvent } from "../../index.ts";
import { SHORT_LEASE_MS, at, outlastShortLeases } from "./fixtures.ts";
import type { ConformanceSuite } from "./suite.ts";

/** A group claim whose batch size is 2 for every group. */
const BY_TWO: GroupClaimOptions = { batchSize: () => 2 };

export function groupClaimsSection(suite: ConformanceSuite): void {
  const { insert, insertEvent, claim, claimOnly, claimOne, finishOne, mustGetEvent, describe, it } = suite;

  /** `count` entities of one tenant's Invoice group, `perEntity` due events each, due in entity order. */
  async function entities(tenantId: string, count: number, perEntity = 1, dueFrom = 0): Promise<NewEvent[][]> {
    const made: NewEvent[][] = [];
    for (let i = 0; i < count; i += 1) {
      const entityId = `${tenantId}-inv-${String(i).padStart(3, "0")}`;
      const seeds = Array.from({ length: perEntity }, (_, j) => ({ entityId, tenantId, nextAttemptAt: at(dueFrom + i * 10 + j) }));
      made.push((await insert({ tenantIds: [tenantId] }, seeds)).events);
    }
    return made;
  }
  const ids = (events: readonly { id: string }[]) => events.map((event) => event.id).sort();

  describe("3c. group claims", () => {
    it("claims every due event of a claimed entity, and at least one whole batch whatever `limit`", async () => {
      const made = await entities("tenant-1", 3, 3);
      const result = await claim({ now: at(1_000), limit: 1, groups: BY_TWO });
      // One batch of 2 entities (the first batch is always taken), each with its 3 due events.
      assert.deepEqual(ids(result.events), ids([...made[0]!, ...made[1]!]));
      for (const event of result.events) assert.equal(event.status, "processing");
      assert.deepEqual(ids((await claim({ now: at(1_000), limit: 1, groups: BY_TWO })).events), ids(made[2]!));
    });

    it("takes a group in whole batches up to `limit` events, then the rest of the group in the next claim", async () => {
      const made = await entities("tenant-1", 6);
      const first = await claim({ now: at(1_000), limit: 5, groups: BY_TWO });
      // Batches of 2: 2 + 2 events fit in 5, a third batch (2 more) would not.
      assert.deepEqual(ids(first.events), ids(made.slice(0, 4).flat()));
      assert.deepEqual(ids((await claim({ now: at(1_000), limit: 5, groups: BY_TWO })).events), ids(made.slice(4).flat()));
    });

    it("keeps each (integration, tenant, type) group apart: one batch size per group", async () => {
      const invoices = await entities("tenant-1", 2);
      const customers = await insert({}, [{ entityType: "Customer", entityId: "c-1", nextAttemptAt: at(5) }]);
      const result = await claim({ now: at(1_000), limit: 10, groups: { batchSize: (group) => (group.entityType === "Invoice" ? 1 : 5) } });
      assert.deepEqual(ids(result.events), ids([...invoices.flat(), ...customers.events]));
    });

    it("lets tenants take turns: a small tenant's event is claimed while a large tenant's backlog waits", async () => {
      const large = await entities("large", 20);
      const small = await entities("small", 1, 1, 10_000); // due after the whole large backlog
      const result = await claim({ now: at(20_000), limit: 4, groups: BY_TWO });
      // Round 1: a batch of the large tenant, then the small tenant; round 2 stops at the limit.
      assert.deepEqual(ids(result.events), ids([...large[0]!, ...large[1]!, ...small[0]!]));
    });

    it("skips entities with an event under a live lease, and events not yet due", async () => {
      const leased = await insertEvent({ entityId: "busy", nextAttemptAt: at(0) });
      await claimOne(leased.id, at(0));
      const sibling = await insertEvent({ entityId: "busy", nextAttemptAt: at(1) });
      const free = await insertEvent({ entityId: "free", nextAttemptAt: at(2) });
      const later = await insertEvent({ entityId: "later", nextAttemptAt: at(60_000) });
      const result = await claim({ now: at(1_000), groups: BY_TWO });
      assert.deepEqual(ids(result.events), [free.id]);
      assert.equal((await mustGetEvent(sibling.id)).status, "queued");
      assert.equal((await mustGetEvent(later.id)).status, "queued");
    });

    it("claims an entity again only when its retry is due, and a failed one after an operator's requeue", async () => {
      const [retried, failed, other] = await entities("tenant-1", 3);
      const first = await claim({ now: at(1_000), limit: 2, groups: BY_TWO });
      const byId = new Map(first.events.map((event) => [event.id, event]));
      assert.deepEqual(ids(first.events), ids([...retried!, ...failed!]));
      const retrying = { status: "retrying" as const, nextAttemptAt: at(50_000), lastError: "boom" };
      assert.equal(await finishOne(byId.get(retried![0]!.id)!, retrying), true);
      assert.equal(await finishOne(byId.get(failed![0]!.id)!, { status: "failed", lastError: "boom", attemptsMade: 3 }), true);
      // The retry is not due yet and the failed entity is finished: only the third entity is left.
      assert.deepEqual(ids((await claim({ now: at(2_000), groups: BY_TWO })).events), ids(other!));
      assert.deepEqual(ids((await claim({ now: at(3_000), groups: BY_TWO })).events), []);
      assert.deepEqual(ids((await claim({ now: at(50_000), groups: BY_TWO })).events), ids(retried!));
      assert.deepEqual(await suite.store.requeue({ now: at(60_000), ids: [failed![0]!.id] }), [failed![0]!.id]);
      assert.deepEqual(ids((await claim({ now: at(60_000), groups: BY_TWO })).events), ids(failed!));
    });

    it("claims an entity whose lease expired again, with the events that arrived for it meanwhile", async () => {
      const [expiring] = await entities("tenant-1", 1);
      const held = await claimOnly({ now: at(1_000), leaseMs: SHORT_LEASE_MS, groups: BY_TWO });
      assert.deepEqual(ids(held.events), ids(expiring!));
      const later = await insertEvent({ entityId: expiring![0]!.entityId, tenantId: "tenant-1", nextAttemptAt: at(1_050) });
      // While the lease is live, neither the leased event nor its entity's new one is handed out.
      assert.deepEqual(ids((await claimOnly({ now: at(1_100), groups: BY_TWO })).events), []);
      await outlastShortLeases();
      const again = await claimOnly({ now: at(1_000 + SHORT_LEASE_MS + 100), groups: BY_TWO });
      assert.deepEqual(ids(again.events), ids([...expiring!, later]));
      assert.equal(await finishOne(held.events[0]!), false, "the expired lease's token must be refused");
      for (const event of again.events) assert.equal(await finishOne(event), true);
      assert.deepEqual(ids((await claimOnly({ now: at(120_000), groups: BY_TWO })).events), []);
    });

    it("takes only the due events of a claimed entity, and reads past entities under a live lease to fill whole batches", async () => {
      const made = await entities("tenant-1", 5);
      const leased = await claimOne(made[0]![0]!.id, at(0));
      const sibling = await insertEvent({ entityId: leased.entityId, tenantId: "tenant-1", nextAttemptAt: at(1) });
      const notYet = await insertEvent({ entityId: made[1]![0]!.entityId, tenantId: "tenant-1", nextAttemptAt: at(60_000) });
      const result = await claim({ now: at(1_000), limit: 4, groups: BY_TWO });
      // Entity 0 is held: two whole batches of the next four entities; entity 1's later event waits.
      assert.deepEqual(ids(result.events), ids(made.slice(1).flat()));
      assert.equal((await mustGetEvent(sibling.id)).status, "queued");
      assert.equal((await mustGetEvent(notYet.id)).status, "queued");
      assert.equal(await finishOne(leased), true);
      assert.deepEqual(ids((await claim({ now: at(2_000), groups: BY_TWO })).events), [sibling.id]);
      for (const event of result.events) assert.equal(await finishOne(event), true);
      assert.deepEqual(ids((await claim({ now: at(60_000), groups: BY_TWO })).events), [notYet.id]);
    });

    it("never hands out the events of a pruned entity; the entity's next change is claimed as usual", async () => {
      const [pruned] = await entities("tenant-1", 1, 2);
      const claimed = await claim({ now: at(1_000), groups: BY_TWO });
      assert.deepEqual(ids(claimed.events), ids(pruned!));
      for (const event of claimed.events) assert.equal(await finishOne(event, { now: at(2_000) }), true);
      assert.equal(await suite.store.prune({ olderThan: at(3_000) }), 2);
      assert.deepEqual(ids((await claim({ now: at(4_000), groups: BY_TWO })).events), []);
      const next = await insertEvent({ entityId: pruned![0]!.entityId, tenantId: "tenant-1", nextAttemptAt: at(5_000) });
      assert.deepEqual(ids((await claim({ now: at(5_000), groups: BY_TWO })).events), [next.id]);
    });

    it("drains several tenants' groups pass by pass: every event claimed once, each group in whole batches until its last", async () => {
      const made = new Map<string, NewEvent[][]>();
      for (const [tenant, count] of [
        ["a", 7],
        ["b", 4],
        ["c", 1],
      ] as const)
        made.set(tenant, await entities(tenant, count, 1 + (count % 3)));
      const all = [...made.values()].flat(2);
      const BY_THREE: GroupClaimOptions = { batchSize: () => 3 };
      const seen = new Map<string, number>();
      const left = new Map([...made].map(([tenant, groupEntities]) => [tenant, groupEntities.length]));
      for (let pass = 0; pass < 20; pass += 1) {
        const { events } = await claim({ now: at(100_000), limit: 10, groups: BY_THREE });
        if (events.length === 0) break;
        const entitiesOf = new Map<string, Set<string>>();
        for (const event of events) {
          seen.set(event.id, (seen.get(event.id) ?? 0) + 1);
          entitiesOf.set(event.tenantId, (entitiesOf.get(event.tenantId) ?? new Set()).add(event.entityId));
        }
        for (const [tenant, claimedEntities] of entitiesOf) {
          const remaining = left.get(tenant)!;
          // Whole batches of 3, or the rest of the group when fewer are left.
          assert.ok(claimedEntities.size % 3 === 0 || claimedEntities.size === remaining, `tenant ${tenant}: ${claimedEntities.size} of ${remaining} entities`);
          left.set(tenant, remaining - claimedEntities.size);
        }
        for (const event of events) assert.equal(await finishOne(event), true);
      }
      assert.deepEqual([...seen.keys()].sort(), ids(all));
      assert.ok(
        [...seen.values()].every((times) => times === 1),
        "an event was claimed twice",
      );
    });

    it("hands out an entity again once its events are finished, and never to two claimers at once", async () => {
      const made = await entities("tenant-1", 4, 2);
      const [a, b] = await Promise.all([
        claim({ now: at(1_000), limit: 2, groups: BY_TWO, workerId: "worker-a" }),
        claim({ now: at(1_000), limit: 2, groups: BY_TWO, workerId: "worker-b" }),
      ]);
      const all = [...a.events, ...b.events];
      assert.equal(new Set(all.map((event) => event.id)).size, all.length, "an event was handed out twice");
      const owners = new Map<string, string>();
      for (const event of [...a.events.map((e) => ["a", e] as const), ...b.events.map((e) => ["b", e] as const)]) {
        const [worker, claimed] = event;
        assert.equal(owners.get(claimed.entityId) ?? worker, worker, `entity ${claimed.entityId} held by two claimers`);
        owners.set(claimed.entityId, worker);
      }
      assert.deepEqual(ids(all), ids(made.flat()));
      for (const event of a.events) assert.equal(await finishOne(event), true);
    });
  });
}
