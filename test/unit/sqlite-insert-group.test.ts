/**
 * SqliteStore's group-committed insert: duplicates and failures inside one group, and groups whose
 * events need more than one multi-row INSERT (more parameters than SQLite binds in one statement).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreError, type NewDelivery, type NewEvent } from "webhook-inbox";
import { createId } from "webhook-inbox/store-kit";
import { SqliteStore } from "webhook-inbox/sqlite";

const t0 = new Date("2030-01-01T00:00:00.000Z");
/** SQLite binds at most 32,766 parameters per statement (999 in builds before 3.32); an event row takes 17. */
const MOST_EVENT_ROWS_ONE_STATEMENT_COULD_BIND = Math.floor(32_766 / 17);
let dir = "";
let filename = "";
const opened: SqliteStore[] = [];

function open(options: Partial<ConstructorParameters<typeof SqliteStore>[0]> = {}): SqliteStore {
  const store = new SqliteStore({ filename, ...options });
  opened.push(store);
  return store;
}

function delivery(seed: Partial<NewDelivery> = {}): NewDelivery {
  return {
    id: createId(),
    integration: "qbo",
    provider: "test",
    tenantIds: ["realm-1"],
    receivedAt: t0,
    headers: { "content-type": "application/json" },
    rawBody: Uint8Array.from([0x7b, 0x7d]),
    dedupeKey: `key-${createId()}`,
    status: "accepted",
    reason: "accepted for processing",
    response: { status: 200, headers: {}, body: "" },
    ...seed,
  };
}

function event(of: NewDelivery, index = 0): NewEvent {
  return {
    id: createId(),
    deliveryId: of.id,
    integration: of.integration,
    provider: of.provider,
    tenantId: "realm-1",
    entityType: "Invoice",
    entityId: `inv-${index}`,
    operation: "Update",
    deleted: index % 2 === 1,
    occurredAt: new Date(t0.getTime() - index),
    receivedAt: t0,
    mode: "delayed",
    status: "queued",
    maxAttempts: 3,
    nextAttemptAt: new Date(t0.getTime() + index),
    nextTrigger: "scheduler",
    payload: { id: `inv-${index}`, n: index },
  };
}

async function allEventIds(store: SqliteStore): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listEvents({ limit: 500, ...(cursor === undefined ? {} : { cursor }) });
    ids.push(...page.items.map((item) => item.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return ids.sort();
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "webhook-inbox-sqlite-group-"));
  filename = join(dir, "inbox.sqlite");
});

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("SqliteStore group-committed insert", () => {
  it("records copies of one key within one group as duplicates of the first, beside a copy of a key stored earlier", async () => {
    const store = open({ groupCommit: { maxBatch: 64, maxWaitMs: 20 } });
    const earlier = delivery({ dedupeKey: "qbo:earlier" });
    const earlierEvent = event(earlier);
    await store.insertDelivery({ delivery: earlier, events: [earlierEvent] });

    const first = delivery({ dedupeKey: "qbo:same" });
    const copies = [delivery({ dedupeKey: "qbo:same" }), delivery({ dedupeKey: "qbo:same" })];
    const resend = delivery({ dedupeKey: "qbo:earlier" });
    const unkeyed = [delivery({ dedupeKey: null, status: "rejected" }), delivery({ dedupeKey: null, status: "rejected" })];
    const inputs = [first, ...copies, resend, ...unkeyed].map((d) => ({ delivery: d, events: d.dedupeKey === null ? [] : [event(d, 1), event(d, 2)] }));
    const results = await Promise.all(inputs.map((input) => store.insertDelivery(input)));

    expect(results).toEqual([
      { status: "inserted", deliveryId: first.id },
      { status: "duplicate", deliveryId: copies[0]!.id, duplicateOf: first.id },
      { status: "duplicate", deliveryId: copies[1]!.id, duplicateOf: first.id },
      { status: "duplicate", deliveryId: resend.id, duplicateOf: earlier.id },
      { status: "inserted", deliveryId: unkeyed[0]!.id },
      { status: "inserted", deliveryId: unkeyed[1]!.id },
    ]);
    for (const copy of [...copies, resend]) {
      expect(await store.getDelivery(copy.id)).toMatchObject({ status: "duplicate", dedupeKey: null, eventCount: 0, reason: copy.reason });
    }
    expect(await store.getDelivery(first.id)).toMatchObject({ status: "accepted", dedupeKey: "qbo:same", eventCount: 2, duplicateOf: null });
    // Only the first copy's events (and the earlier delivery's) were stored.
    expect(await allEventIds(store)).toEqual([earlierEvent.id, ...inputs[0]!.events.map((e) => e.id)].sort());
  });

  it("stores the rest of a group whose one insert fails, duplicates within the group included", async () => {
    const store = open({ groupCommit: { maxBatch: 64, maxWaitMs: 20 } });
    const holder = delivery();
    const taken = event(holder);
    await store.insertDelivery({ delivery: holder, events: [taken] });

    const first = delivery({ dedupeKey: "xero:same" });
    const copy = delivery({ dedupeKey: "xero:same" });
    const bad = delivery();
    const fine = delivery();
    const inputs = [
      { delivery: first, events: [event(first)] },
      { delivery: bad, events: [event(bad), { ...event(bad), id: taken.id }] },
      { delivery: copy, events: [event(copy)] },
      { delivery: fine, events: [event(fine)] },
    ];
    const results = await Promise.allSettled(inputs.map((input) => store.insertDelivery(input)));

    expect(results[0]).toEqual({ status: "fulfilled", value: { status: "inserted", deliveryId: first.id } });
    expect(results[1]).toMatchObject({ status: "rejected", reason: expect.any(StoreError) });
    expect(results[2]).toEqual({ status: "fulfilled", value: { status: "duplicate", deliveryId: copy.id, duplicateOf: first.id } });
    expect(results[3]).toEqual({ status: "fulfilled", value: { status: "inserted", deliveryId: fine.id } });
    expect(await store.getDelivery(bad.id)).toBeNull();
    expect(await allEventIds(store)).toEqual([taken.id, inputs[0]!.events[0]!.id, inputs[3]!.events[0]!.id].sort());
    // The failed delivery's key is free for its resend.
    expect((await store.insertDelivery({ delivery: delivery({ dedupeKey: bad.dedupeKey }), events: [] })).status).toBe("inserted");
  });

  it("stores a delivery with more events than one statement could bind, every field intact", async () => {
    const store = open();
    const big = delivery();
    const count = MOST_EVENT_ROWS_ONE_STATEMENT_COULD_BIND + 150;
    const events = Array.from({ length: count }, (_, index) => event(big, index));
    expect(await store.insertDelivery({ delivery: big, events })).toEqual({ status: "inserted", deliveryId: big.id });

    expect((await store.getDelivery(big.id))?.eventCount).toBe(count);
    expect(await store.countEvents({})).toEqual([{ integration: "qbo", status: "queued", count }]);
    for (const index of [0, 1, 127, 128, count - 1]) {
      const { status: _status, ...fields } = events[index]!;
      expect(await store.getEvent(fields.id)).toMatchObject({ ...fields, status: "queued", updatedAt: t0, attemptsMade: 0 });
    }
  });

  it("stores a group whose events together need several statements, and a failure in it spares the others", async () => {
    const store = open({ groupCommit: { maxBatch: 64, maxWaitMs: 20 } });
    const holder = delivery();
    const taken = event(holder);
    await store.insertDelivery({ delivery: holder, events: [taken] });
    const inputs = Array.from({ length: 30 }, () => {
      const d = delivery();
      return { delivery: d, events: Array.from({ length: 100 }, (_, index) => event(d, index)) };
    });
    // 3,000 events in one group: more rows than one statement could bind; the last delivery's last event collides.
    const last = inputs[inputs.length - 1]!;
    last.events[99] = { ...last.events[99]!, id: taken.id };
    const results = await Promise.allSettled(inputs.map((input) => store.insertDelivery(input)));

    expect(results.slice(0, -1).every((result) => result.status === "fulfilled")).toBe(true);
    expect(results[results.length - 1]!.status).toBe("rejected");
    expect(await store.getDelivery(last.delivery.id)).toBeNull();
    const expected = [taken.id, ...inputs.slice(0, -1).flatMap((input) => input.events.map((e) => e.id))].sort();
    expect(await allEventIds(store)).toEqual(expected);
  });

  it("keeps statement journals in memory (temp_store = MEMORY), not in a temporary file per transaction", async () => {
    const store = open();
    await store.migrate();
    const journals = await store.transaction(async (tx) => (tx as Database.Database).pragma("temp_store", { simple: true }));
    // 2 = MEMORY (0 = the build's default, a file).
    expect(journals).toBe(2);
  });

  it("checkpoints the WAL after 10,000 frames, not SQLite's 1,000", async () => {
    const store = open();
    await store.migrate();
    expect(await store.transaction(async (tx) => (tx as Database.Database).pragma("wal_autocheckpoint", { simple: true }))).toBe(10_000);
  });
});
