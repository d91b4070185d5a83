/**
 * One holder per entity across PostgresStore workers, when a claim is slow to commit: four workers
 * (four stores, four pools) claim concurrently over one database while one worker's claim
 * transactions wait before committing. Under READ COMMITTED another worker cannot see that
 * uncommitted claim, so a check of live leases alone would hand the same entity's other events to a
 * second worker; the per-entity advisory lock must keep every entity with a single worker.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { ClaimedEvent, NewDelivery, NewEvent } from "webhook-inbox";
import { createId } from "webhook-inbox/store-kit";
import { PostgresStore, type PgClientLike, type PgPoolLike } from "webhook-inbox/postgres";

const url = process.env.DATABASE_URL;
const COMMIT_DELAY_MS = 300;
const ENTITIES = 24;
const EVENTS_PER_ENTITY = 5;
const t0 = new Date("2030-01-01T00:00:00.000Z");

/** A pool whose transactions (and any claim statement run outside one) wait before they commit. */
function slowCommitPool(pool: pg.Pool): PgPoolLike {
  const pause = () => new Promise((resolve) => setTimeout(resolve, COMMIT_DELAY_MS));
  const slowClient = (client: pg.PoolClient): PgClientLike =>
    new Proxy(client, {
      get(target, property) {
        if (property === "query") {
          return async (text: string, values?: unknown[]) => {
            if (/^\s*commit\s*$/i.test(text)) await pause();
            return target.query(text, values);
          };
        }
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    }) as unknown as PgClientLike;
  return {
    async query(text: string, values?: unknown[]) {
      if (!/for update skip locked/i.test(text)) return pool.query(text, values);
      // A claim sent as one autocommit statement: run it in a transaction that commits late.
      const client = await pool.connect();
      try {
        await client.query("begin");
        const result = await client.query(text, values);
        await pause();
        await client.query("commit");
        return result;
      } catch (error) {
        await client.query("rollback").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    connect: async () => slowClient(await pool.connect()),
  };
}

if (!url) {
  describe.skip("PostgresStore one holder per entity (skipped: set DATABASE_URL to run)", () => {
    it("needs PostgreSQL", () => {});
  });
} else {
  const schemas = { event: `wi_claims_${randomBytes(5).toString("hex")}`, group: `wi_claims_${randomBytes(5).toString("hex")}` };
  const pools = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: url, max: 4 }));
  afterAll(async () => {
    for (const schema of Object.values(schemas)) await pools[0]!.query(`drop schema if exists "${schema}" cascade`);
    await Promise.all(pools.map((pool) => pool.end()));
  });

  describe("PostgresStore: one holder per entity with a claim slow to commit", () => {
    // Event claims (limit cuts through entities) and group claims (whole entities in batches of 3).
    it.each(["event", "group"] as const)("4 workers, one committing its claims late: no entity is ever held by two workers (%s claims)", async (mode) => {
      const schema = schemas[mode];
      const groups = mode === "group" ? { groups: { batchSize: () => 3 } } : {};
      const stores = pools.map((pool, index) => new PostgresStore({ pool: index === 0 ? slowCommitPool(pool) : pool, schema, notify: false }));
      await stores[0]!.migrate();
      const delivery: NewDelivery = {
        id: createId(),
        integration: "qbo",
        provider: "test",
        tenantIds: ["realm-1"],
        receivedAt: t0,
        headers: {},
        rawBody: new Uint8Array(),
        dedupeKey: null,
        status: "accepted",
        reason: null,
        response: null,
      };
      const events: NewEvent[] = [];
      for (let entity = 0; entity < ENTITIES; entity += 1) {
        for (let change = 0; change < EVENTS_PER_ENTITY; change += 1) {
          events.push({
            id: createId(),
            deliveryId: delivery.id,
            integration: "qbo",
            provider: "test",
            tenantId: "realm-1",
            entityType: "Invoice",
            entityId: `inv-${entity}`,
            operation: "Update",
            deleted: false,
            occurredAt: new Date(t0.getTime() + change),
            receivedAt: t0,
            mode: "delayed",
            status: "queued",
            maxAttempts: 3,
            // Interleaved due times: a claim's LIMIT cuts through entities, leaving some of an entity's events for others.
            nextAttemptAt: new Date(t0.getTime() + change * ENTITIES + entity),
            nextTrigger: "scheduler",
            payload: {},
          });
        }
      }
      await stores[0]!.insertDelivery({ delivery, events });

      // Each worker claims (long leases, never finishing) until a claim returns nothing.
      const now = new Date(t0.getTime() + 60_000);
      const claimed = await Promise.all(
        stores.map(async (store, worker) => {
          const mine: ClaimedEvent[] = [];
          for (let round = 0; round < 50; round += 1) {
            const { events: batch } = await store.claimDue({ now, limit: 4, leaseMs: 600_000, workerId: `worker-${worker}`, ...groups });
            if (batch.length === 0) break;
            mine.push(...batch);
          }
          return mine;
        }),
      );

      const holders = new Map<string, Set<number>>();
      claimed.forEach((batch, worker) => {
        for (const event of batch) {
          const set = holders.get(event.entityId) ?? new Set<number>();
          set.add(worker);
          holders.set(event.entityId, set);
        }
      });
      const shared = [...holders].filter(([, workers]) => workers.size > 1).map(([entity, workers]) => `${entity}: ${[...workers].join(",")}`);
      expect(shared, "entities held by two workers at once").toEqual([]);
      // The slow worker took part (its claims were in flight while the others claimed).
      expect(claimed[0]!.length).toBeGreaterThan(0);
      // Nothing is handed out twice, and every entity has a holder.
      const ids = claimed.flat().map((event) => event.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(holders.size).toBe(ENTITIES);
      await Promise.all(stores.map((store) => store.close()));
    });
  });
}
