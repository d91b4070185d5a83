import { randomBytes } from "node:crypto";
import pg from "pg";
import * as vitest from "vitest";
import { afterAll, describe, expect, it } from "vitest";
import { isWebhookInboxError, type NewDelivery, type NewEvent } from "webhook-inbox";
import { createId } from "webhook-inbox/store-kit";
import { MIGRATIONS, PostgresStore } from "webhook-inbox/postgres";
import { describeStoreConformance } from "webhook-inbox/testing";

const url = process.env.DATABASE_URL;

function freshSchemaName(): string {
  return `wi_test_${randomBytes(6).toString("hex")}`;
}

if (!url) {
  describe.skip("PostgresStore (skipped: set DATABASE_URL to run)", () => {
    it("needs PostgreSQL", () => {});
  });
} else {
  // Two pools: the sibling store plays another process with its own connections.
  const pool = new pg.Pool({ connectionString: url, max: 12 });
  const siblingPool = new pg.Pool({ connectionString: url, max: 12 });
  afterAll(async () => {
    await Promise.all([pool.end(), siblingPool.end()]);
  });

  let schema = "";
  describeStoreConformance({
    name: "PostgresStore",
    create: async () => new PostgresStore({ pool, schema: (schema = freshSchemaName()) }),
    createSibling: async () => new PostgresStore({ pool: siblingPool, schema }),
    dispose: async () => {
      await pool.query(`drop schema if exists "${schema}" cascade`);
    },
    test: vitest,
  });

  describe("PostgresStore specifics", () => {
    const t0 = new Date("2030-01-01T00:00:00.000Z");
    const schemas: string[] = [];
    afterAll(async () => {
      for (const name of schemas) await pool.query(`drop schema if exists "${name}" cascade`);
    });

    function newSchema(): string {
      const name = freshSchemaName();
      schemas.push(name);
      return name;
    }

    function delivery(seed: Partial<NewDelivery> = {}): NewDelivery {
      return {
        id: createId(),
        integration: "qbo",
        provider: "test",
        tenantIds: ["t1"],
        receivedAt: t0,
        headers: {},
        rawBody: new TextEncoder().encode("{}"),
        dedupeKey: `k-${createId()}`,
        status: "accepted",
        reason: null,
        response: null,
        ...seed,
      };
    }

    function event(owner: NewDelivery, seed: Partial<NewEvent> = {}): NewEvent {
      return {
        id: createId(),
        deliveryId: owner.id,
        integration: owner.integration,
        provider: owner.provider,
        tenantId: "t1",
        entityType: "Invoice",
        entityId: createId(),
        operation: "Update",
        deleted: false,
        occurredAt: t0,
        receivedAt: t0,
        mode: "delayed",
        status: "queued",
        maxAttempts: 3,
        nextAttemptAt: t0,
        nextTrigger: "scheduler",
        payload: { n: 1 },
        ...seed,
      };
    }

    it("rejects bad options with a WebhookConfigError naming the option", () => {
      const attempts: unknown[] = [
        { pool, schema: 'bad"name' },
        { pool, connectionString: url },
        {},
        { pool, groupCommit: { maxBatch: 0 } },
        { pool, notfy: true },
        { connectionString: "" },
        { pool: {} },
      ];
      for (const options of attempts) {
        let caught: unknown;
        try {
          new PostgresStore(options as never);
        } catch (error) {
          caught = error;
        }
        expect(isWebhookInboxError(caught) && caught.code === "CONFIG_INVALID", JSON.stringify(Object.keys(options as object))).toBe(true);
      }
      expect(() => new PostgresStore({ pool, schema: "1abc" })).toThrow(/schema/);
      expect(() => new PostgresStore({ pool, groupCommit: { maxBatch: 0 } })).toThrow(/groupCommit\.maxBatch/);
    });

    it("migrates once when several instances start at the same moment", async () => {
      const name = newSchema();
      const stores = Array.from({ length: 5 }, () => new PostgresStore({ pool, schema: name }));
      await Promise.all(stores.map((store) => store.migrate()));
      const { rows } = await pool.query(`select version from "${name}".migrations order by version`);
      expect(rows.map((row) => row.version)).toEqual(MIGRATIONS.map((migration) => migration.version));
      await Promise.all(stores.map((store) => store.close()));
    });

    it("refuses a schema migrated by a newer version of the library", async () => {
      const name = newSchema();
      const store = new PostgresStore({ pool, schema: name });
      await store.migrate();
      await pool.query(`insert into "${name}".migrations (version, name) values (999, 'from the future')`);
      await expect(store.migrate()).rejects.toMatchObject({ code: "STORE_FAILED", message: expect.stringContaining("version 999") });
      await store.close();
    });

    it("creates and ends its own pool from a connectionString, and never ends a pool it was given", async () => {
      const name = newSchema();
      const owned = new PostgresStore({ connectionString: url, max: 2, schema: name });
      await owned.migrate();
      const d = delivery();
      expect(await owned.insertDelivery({ delivery: d, events: [event(d)] })).toEqual({ status: "inserted", deliveryId: d.id });
      await owned.close();
      await expect(owned.getDelivery(d.id)).rejects.toMatchObject({ code: "STORE_FAILED", store: "postgres" });

      const borrowed = new PostgresStore({ pool, schema: name });
      await borrowed.close();
      const { rows } = await pool.query(`select count(*)::int as n from "${name}".events`);
      expect(rows[0].n).toBe(1);
    });

    it("wraps driver failures as StoreError naming the method, with the cause", async () => {
      const store = new PostgresStore({ pool, schema: newSchema() });
      // Not migrated: every table is missing.
      const error = await store.countEvents({}).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ name: "StoreError", code: "STORE_FAILED", store: "postgres", status: 503 });
      expect((error as Error).message).toBe("[postgres] countEvents failed");
      expect(((error as Error).cause as { code?: string }).code).toBe("42P01");
      await store.close();
    });

    it("group-commits concurrent inserts into one transaction each, answering every caller", async () => {
      const name = newSchema();
      const store = new PostgresStore({ pool, schema: name, groupCommit: { maxBatch: 50, maxWaitMs: 20 } });
      await store.migrate();
      const inputs = Array.from({ length: 120 }, (_, i) => {
        const d = delivery({ dedupeKey: i % 40 === 0 ? "shared" : `k-${i}` });
        return { delivery: d, events: [event(d), event(d)] };
      });
      const results = await Promise.all(inputs.map((input) => store.insertDelivery(input)));
      expect(results.filter((r) => r.status === "inserted")).toHaveLength(118);
      expect(results.filter((r) => r.status === "duplicate")).toHaveLength(2);
      // Rows from one group share a transaction id: 120 deliveries in at most a handful of transactions.
      const { rows } = await pool.query(`select count(distinct xmin::text)::int as n from "${name}".deliveries where status <> 'duplicate'`);
      expect(rows[0].n).toBeLessThanOrEqual(4);
      const { rows: events } = await pool.query(`select count(*)::int as n from "${name}".events`);
      expect(events[0].n).toBe(236);
      await store.close();
    });

    it("wakes a subscriber in another store when events are stored or requeued, and stops after unsubscribe", async () => {
      const name = newSchema();
      const writer = new PostgresStore({ pool, schema: name });
      const reader = new PostgresStore({ pool: siblingPool, schema: name });
      await writer.migrate();
      let wakeUps = 0;
      let wake: () => void = () => {};
      const unsubscribe = await reader.subscribe(() => {
        wakeUps += 1;
        wake();
      });
      const woken = () => new Promise<void>((resolve) => (wake = resolve));

      let next = woken();
      const d = delivery();
      const e = event(d);
      await writer.insertDelivery({ delivery: d, events: [e] });
      await next;
      expect(wakeUps).toBe(1);

      // A delivery without events wakes nobody; a requeue does.
      await writer.insertDelivery({ delivery: delivery({ status: "rejected", dedupeKey: null }), events: [] });
      next = woken();
      const claimed = await writer.claimDue({ now: t0, limit: 1, leaseMs: 1, workerId: "w" });
      expect(claimed.events).toHaveLength(1);
      // The lease runs on the database's clock: let its 1 ms pass there, or the requeue rightly skips a live lease.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await writer.requeue({ now: new Date(t0.getTime() + 10), ids: [e.id] })).toEqual([e.id]);
      await next;
      expect(wakeUps).toBe(2);

      await unsubscribe();
      const d2 = delivery();
      await writer.insertDelivery({ delivery: d2, events: [event(d2)] });
      // A NOTIFY to a listener-less channel is dropped; give it a round trip to arrive if it would.
      await reader.countEvents({});
      expect(wakeUps).toBe(2);
      await Promise.all([writer.close(), reader.close()]);
    });

    it("reconnects a subscriber whose connection was killed, and wakes it once for what it missed", async () => {
      const name = newSchema();
      const store = new PostgresStore({ pool: siblingPool, schema: name });
      await store.migrate();
      let wake: () => void = () => {};
      const unsubscribe = await store.subscribe(() => wake());
      const reconnected = new Promise<void>((resolve) => (wake = resolve));
      await pool.query(`select pg_terminate_backend(pid) from pg_stat_activity where query = $1`, [`listen "${store.channel}"`]);
      await reconnected;
      const again = new Promise<void>((resolve) => (wake = resolve));
      const d = delivery();
      await new PostgresStore({ pool, schema: name }).insertDelivery({ delivery: d, events: [event(d)] });
      await again;
      await unsubscribe();
      await store.close();
    });

    it("survives a connection lost inside transaction(): the call fails with StoreError, the process and the store carry on", async () => {
      const store = new PostgresStore({ pool: siblingPool, schema: newSchema() });
      await store.migrate();
      const outcome = await store
        .transaction(async (tx) => {
          const client = tx as pg.PoolClient;
          // "end" comes after pg has emitted the connection's "error" (which only the store hears).
          const lost = new Promise<void>((resolve) => client.once("end", () => resolve()));
          const { rows } = await client.query("select pg_backend_pid() as pid");
          await pool.query("select pg_terminate_backend($1)", [rows[0].pid]);
          await lost;
          return "handler done";
        })
        .catch((error: unknown) => error);
      expect(outcome).toMatchObject({ name: "StoreError", code: "STORE_FAILED", message: "[postgres] transaction failed" });
      expect(await store.countEvents({})).toEqual([]);
      await store.close();
    });

    it("finishes a batch of 500 in one statement, with watermarks on shared entities moving forward only", async () => {
      const store = new PostgresStore({ pool, schema: newSchema() });
      await store.migrate();
      const d = delivery();
      const events = Array.from({ length: 500 }, (_, i) => event(d, { entityId: `shared-${i % 10}`, occurredAt: new Date(t0.getTime() + i) }));
      await store.insertDelivery({ delivery: d, events });
      const { events: claimed } = await store.claimDue({ now: t0, limit: 500, leaseMs: 60_000, workerId: "w" });
      expect(claimed).toHaveLength(500);
      const done = new Date(t0.getTime() + 1_000);
      const results = await store.finishAttempts(
        claimed.map((c) => ({
          eventId: c.id,
          leaseToken: c.leaseToken,
          attempt: { trigger: "scheduler", startedAt: t0, endedAt: done, outcome: "succeeded", error: null },
          status: "succeeded",
          attemptsMade: 1,
          nextAttemptAt: null,
          nextTrigger: "scheduler",
          lastError: null,
          resource: { data: { id: c.entityId }, downloadedAt: new Date(t0.getTime() + 500 - (c.occurredAt.getTime() - t0.getTime())) },
          watermark: {
            integration: c.integration,
            tenantId: c.tenantId,
            entityType: c.entityType,
            entityId: c.entityId,
            occurredAt: c.occurredAt,
            eventId: c.id,
            downloadedAt: new Date(t0.getTime() + 500 - (c.occurredAt.getTime() - t0.getTime())),
          },
          now: done,
        })),
      );
      expect(results.every(Boolean)).toBe(true);
      const marks = await store.getWatermarks([{ integration: "qbo", tenantId: "t1", entityType: "Invoice", entityId: "shared-3" }]);
      // Newest event of shared-3 is i = 493; the latest download among its events belongs to i = 3.
      expect(marks).toEqual([
        expect.objectContaining({ eventId: events[493]!.id, occurredAt: events[493]!.occurredAt, downloadedAt: new Date(t0.getTime() + 497) }),
      ]);
      expect((await store.countEvents({}))[0]).toEqual({ integration: "qbo", status: "succeeded", count: 500 });

      // prune takes the attempts and resource rows with the events (there are no cascading keys).
      expect(await store.prune({ olderThan: new Date(done.getTime() + 1) })).toBe(500);
      const { rows: left } = await pool.query(
        `select (select count(*) from "${store.schema}".attempts)::int as attempts,
                (select count(*) from "${store.schema}".resources)::int as resources,
                (select count(*) from "${store.schema}".deliveries)::int as deliveries,
                (select count(*) from "${store.schema}".watermarks)::int as watermarks`,
      );
      expect(left).toEqual([{ attempts: 0, resources: 0, deliveries: 0, watermarks: 10 }]);
      await store.close();
    });
  });
}
