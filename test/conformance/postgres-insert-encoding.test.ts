// PostgresStore's insert path: deliveries as one JSON document plus every raw body in one bytea,
// events as column arrays with their payloads' JSON text in one bytea, run as named statements.
// What goes in must come back exactly, whatever the bytes, sizes and characters of a group.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { NewDelivery, NewEvent } from "webhook-inbox";
import { createId } from "webhook-inbox/store-kit";
import { MIGRATIONS, PostgresStore } from "webhook-inbox/postgres";

const url = process.env.DATABASE_URL;

if (!url) {
  describe.skip("PostgresStore insert encoding (skipped: set DATABASE_URL to run)", () => {
    it("needs PostgreSQL", () => {});
  });
} else {
  const pool = new pg.Pool({ connectionString: url, max: 6 });
  const schemas: string[] = [];
  afterAll(async () => {
    for (const name of schemas) await pool.query(`drop schema if exists "${name}" cascade`);
    await pool.end();
  });

  function newSchema(): string {
    const name = `wi_enc_${randomBytes(6).toString("hex")}`;
    schemas.push(name);
    return name;
  }

  const t0 = new Date("2030-01-01T00:00:00.123Z");

  function delivery(rawBody: Uint8Array, seed: Partial<NewDelivery> = {}): NewDelivery {
    return {
      id: createId(),
      integration: "qbo",
      provider: "test",
      tenantIds: ["t1"],
      receivedAt: t0,
      headers: { "content-type": "application/json" },
      rawBody,
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
      nextAttemptAt: new Date(t0.getTime() + 3_600_000),
      nextTrigger: "scheduler",
      payload: { n: 1 },
      ...seed,
    };
  }

  // Odd payloads: characters jsonb refuses, key order jsonb would change, nesting, scalars and null.
  const payloads: unknown[] = [
    { text: "a\u0000b", lone: "\ud800", tail: "x\udfffy", emoji: "😀", quote: '"\\' },
    { zebra: 1, apple: 2, mango: { b: [1, "two", null, true], a: {} } },
    "just a string",
    42,
    null,
    { long: "é".repeat(3_000) },
  ];
  const bodies: Uint8Array[] = [
    new Uint8Array(0),
    new Uint8Array([0, 255, 254, 0, 10, 13, 92, 34]),
    new TextEncoder().encode('{"é":"ü","😀":"\\u0000"}'),
    randomBytes(70_000),
  ];

  it("stores every body, payload and time of a group exactly as given, and reads them back", async () => {
    const store = new PostgresStore({ pool, schema: newSchema(), groupCommit: { maxBatch: 100, maxWaitMs: 20 } });
    await store.migrate();
    const inputs = bodies.map((body, index) => {
      const d = delivery(body);
      const events = payloads.map((payload, n) =>
        event(d, {
          payload,
          deleted: n % 2 === 1,
          maxAttempts: 1 + n,
          occurredAt: new Date(Date.UTC(1969, 6, 20, 20, 17, 40, 7 * n + index)),
          mode: n % 2 === 0 ? "delayed" : "direct",
        }),
      );
      return { delivery: d, events };
    });
    // Concurrent calls: one group (one statement) with bodies and payloads of every size side by side.
    const results = await Promise.all(inputs.map((input) => store.insertDelivery(input)));
    expect(results.map((result) => result.status)).toEqual(inputs.map(() => "inserted"));
    for (const { delivery: d, events } of inputs) {
      const stored = await store.getDelivery(d.id);
      expect(Buffer.from(stored!.rawBody).equals(Buffer.from(d.rawBody))).toBe(true);
      expect(stored!.eventCount).toBe(events.length);
      for (const e of events) {
        const details = await store.getEvent(e.id);
        expect(details).not.toBeNull();
        // toStrictEqual plus the key order: the payload comes back as written.
        expect(details!.payload).toStrictEqual(e.payload);
        expect(JSON.stringify(details!.payload)).toBe(JSON.stringify(e.payload));
        expect(details!.occurredAt.getTime()).toBe(e.occurredAt.getTime());
        expect(details!.receivedAt.getTime()).toBe(e.receivedAt.getTime());
        expect(details!.nextAttemptAt.getTime()).toBe(e.nextAttemptAt.getTime());
        expect(details!).toMatchObject({
          deliveryId: d.id,
          deleted: e.deleted,
          maxAttempts: e.maxAttempts,
          mode: e.mode,
          status: "queued",
          nextTrigger: "scheduler",
          entityId: e.entityId,
        });
      }
    }
    await store.close();
  });

  it("stores U+0000 in a text column as U+FFFD instead of failing the group (PostgreSQL text cannot hold it)", async () => {
    const store = new PostgresStore({ pool, schema: newSchema(), groupCommit: { maxBatch: 100, maxWaitMs: 20 } });
    await store.migrate();
    const odd = delivery(new TextEncoder().encode("{}"));
    const plain = delivery(new TextEncoder().encode("[]"));
    const oddEvent = event(odd, { tenantId: "t\u00001", entityId: "e\u0000", entityType: "In\ud800voice" });
    const plainEvent = event(plain);
    const results = await Promise.all([
      store.insertDelivery({ delivery: odd, events: [oddEvent] }),
      store.insertDelivery({ delivery: plain, events: [plainEvent] }),
    ]);
    expect(results.map((result) => result.status)).toEqual(["inserted", "inserted"]);
    expect((await store.getEvent(oddEvent.id))!).toMatchObject({ tenantId: "t\ufffd1", entityId: "e\ufffd", entityType: "In\ufffdvoice" });
    expect((await store.getEvent(plainEvent.id))!.tenantId).toBe("t1");
    await store.close();
  });

  it("stores text fields with quotes, backslashes, braces, commas, spaces, NULL and empty strings as given", async () => {
    const store = new PostgresStore({ pool, schema: newSchema() });
    await store.migrate();
    const d = delivery(new TextEncoder().encode("{}"));
    const odd = ['a"b', "back\\slash\\", "{x,y}", " spaced ", "NULL", "null", "", '\\"', "ünï😀", "tab\tnew\nline"];
    const events = odd.map((value, n) =>
      event(d, { entityId: value, tenantId: odd[(n + 1) % odd.length]!, entityType: odd[(n + 2) % odd.length]!, operation: value }),
    );
    expect(await store.insertDelivery({ delivery: d, events })).toEqual({ status: "inserted", deliveryId: d.id });
    for (const e of events) {
      expect(await store.getEvent(e.id)).toMatchObject({ entityId: e.entityId, tenantId: e.tenantId, entityType: e.entityType, operation: e.operation });
    }
    await store.close();
  });

  it("stores a duplicate with its own body when its original is in the same group", async () => {
    const store = new PostgresStore({ pool, schema: newSchema(), groupCommit: { maxBatch: 100, maxWaitMs: 20 } });
    await store.migrate();
    const first = delivery(new TextEncoder().encode("first body"), { dedupeKey: "same" });
    const second = delivery(new TextEncoder().encode("the second, longer body"), { dedupeKey: "same" });
    const other = delivery(randomBytes(1_000));
    const [a, b, c] = await Promise.all([
      store.insertDelivery({ delivery: first, events: [event(first)] }),
      store.insertDelivery({ delivery: second, events: [event(second)] }),
      store.insertDelivery({ delivery: other, events: [event(other)] }),
    ]);
    expect(a).toEqual({ status: "inserted", deliveryId: first.id });
    expect(b).toEqual({ status: "duplicate", deliveryId: second.id, duplicateOf: first.id });
    expect(c).toEqual({ status: "inserted", deliveryId: other.id });
    for (const d of [first, second, other]) expect(Buffer.from((await store.getDelivery(d.id))!.rawBody).equals(Buffer.from(d.rawBody))).toBe(true);
    expect((await store.listEvents({ deliveryId: second.id })).items).toHaveLength(0);
    await store.close();
  });

  it("inserts with preparedStatements: false, and through a pool that is not pg's (plain query text only)", async () => {
    const name = newSchema();
    // A pool shape that only takes (text, values), as a host's wrapper might: a query config object would fail here.
    const plainPool = {
      query: (text: unknown, values?: unknown[]) => {
        if (typeof text !== "string") throw new Error("this pool takes query text only");
        return pool.query(text, values);
      },
      connect: () => pool.connect(),
    };
    const stores = [new PostgresStore({ pool, schema: name, preparedStatements: false }), new PostgresStore({ pool: plainPool, schema: name })];
    await stores[0]!.migrate();
    for (const store of stores) {
      for (let round = 0; round < 3; round += 1) {
        const d = delivery(new TextEncoder().encode(`body ${round}`));
        const e = event(d, { payload: { round } });
        expect(await store.insertDelivery({ delivery: d, events: [e] })).toEqual({ status: "inserted", deliveryId: d.id });
        expect((await store.getEvent(e.id))!.payload).toEqual({ round });
      }
    }
    await Promise.all(stores.map((store) => store.close()));
  });

  it("upgrades a schema holding events from before the payload became json, keeping their payloads", async () => {
    const name = newSchema();
    const s = `"${name}"`;
    await pool.query(`create schema ${s}`);
    await pool.query(`create table ${s}.migrations (version integer primary key, name text not null)`);
    const jsonPayloads = MIGRATIONS.find((m) => m.name === "cheaper event inserts")!.version;
    for (const migration of MIGRATIONS.filter((m) => m.version < jsonPayloads)) {
      await pool.query(migration.sql(s));
      await pool.query(`insert into ${s}.migrations (version, name) values ($1, $2)`, [migration.version, migration.name]);
    }
    const old = { b: 2, a: [1, { c: "x" }] };
    await pool.query(
      `insert into ${s}.events (id, delivery_id, integration, provider, tenant_id, entity_type, entity_id, operation, deleted, occurred_at,
         received_at, mode, status, max_attempts, next_attempt_at, next_trigger, payload, updated_at)
       values ('old-event', 'old-delivery', 'qbo', 'test', 't1', 'Invoice', 'e1', 'Update', false, $1, $1, 'delayed', 'queued', 3, $1, 'scheduler', $2::jsonb, $1)`,
      [t0, JSON.stringify(old)],
    );
    const store = new PostgresStore({ pool, schema: name });
    await store.migrate();
    expect((await store.getEvent("old-event"))!.payload).toEqual(old);
    const { rows } = await pool.query(`select max(version)::int as version from ${s}.migrations`);
    expect(rows[0].version).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version);
    // And new inserts go in beside it.
    const d = delivery(new TextEncoder().encode("{}"));
    expect(await store.insertDelivery({ delivery: d, events: [event(d)] })).toEqual({ status: "inserted", deliveryId: d.id });
    await store.close();
  });

  it("groupCommit.maxInFlight: deliveries arriving while a group commits wait for it and go in together (one commit, not one per wave)", async () => {
    const name = newSchema();
    const transactionsFor = async (maxInFlight: number) => {
      const store = new PostgresStore({ pool, schema: name, groupCommit: { maxBatch: 100, maxWaitMs: 0, maxInFlight } });
      await store.migrate();
      // Another session holds the dedupe key of the first delivery: its group waits on it (ON CONFLICT) until released.
      const blocker = await pool.connect();
      const key = `blocked-${createId()}`;
      await blocker.query("begin");
      await blocker.query(
        `insert into "${name}".deliveries (id, integration, provider, tenant_ids, received_at, headers, raw_body, dedupe_key, status)
         values ($1, 'qbo', 'test', '{}', now(), '{}', '', $2, 'accepted')`,
        [createId(), key],
      );
      const first = delivery(new TextEncoder().encode("{}"), { dedupeKey: key });
      const stored = [store.insertDelivery({ delivery: first, events: [event(first)] })];
      const ids = [first.id];
      // Three waves, each a turn of the event loop after the previous one.
      for (let wave = 0; wave < 3; wave += 1) {
        await new Promise((resolve) => setImmediate(resolve));
        for (let n = 0; n < 10; n += 1) {
          const d = delivery(new TextEncoder().encode(`${wave}-${n}`));
          ids.push(d.id);
          stored.push(store.insertDelivery({ delivery: d, events: [event(d)] }));
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      await blocker.query("rollback");
      blocker.release();
      const results = await Promise.all(stored);
      expect(results.map((result) => result.status)).toEqual(ids.map(() => "inserted"));
      const { rows } = await pool.query(`select count(distinct xmin::text)::int as n from "${name}".deliveries where id = any($1::text[])`, [ids]);
      await store.close();
      return rows[0].n as number;
    };
    // One in flight (the default): the blocked group, then every wave in one more.
    expect(await transactionsFor(1)).toBe(2);
    // Two in flight: the first wave takes the free slot at once, the later waves follow it.
    expect(await transactionsFor(2)).toBeGreaterThan(2);
  });
}
