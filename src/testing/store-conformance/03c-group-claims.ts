/** Store conformance, section 3c. group claims: whole entities in whole provider batches, tenants in turn. */
import assert from "node:assert/strict";
import type { GroupClaimOptions, NewEvent } from "../../index.ts";
import { at } from "./fixtures.ts";
import type { ConformanceSuite } from "./suite.ts";

/** A group claim whose batch size is 2 for every group. */
const BY_TWO: GroupClaimOptions = { batchSize: () => 2 };

export function groupClaimsSection(suite: ConformanceSuite): void {
  const { insert, insertEvent, claim, claimOne, finishOne, mustGetEvent, describe, it } = suite;

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
