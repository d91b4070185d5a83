import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreError, WebhookConfigError, type NewDelivery, type NewEvent } from "webhook-inbox";
import { createId } from "webhook-inbox/store-kit";
import { SQLITE_SCHEMA_VERSION, SqliteStore } from "webhook-inbox/sqlite";

const t0 = new Date("2030-01-01T00:00:00.000Z");
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
    rawBody: Uint8Array.from([0x7b, 0x00, 0xff, 0x7d]),
    dedupeKey: `key-${createId()}`,
    status: "accepted",
    reason: null,
    response: null,
    ...seed,
  };
}

function event(of: NewDelivery, seed: Partial<NewEvent> = {}): NewEvent {
  return {
    id: createId(),
    deliveryId: of.id,
    integration: of.integration,
    provider: of.provider,
    tenantId: "realm-1",
    entityType: "Invoice",
    entityId: "inv-1",
    operation: "Update",
    deleted: false,
    occurredAt: t0,
    receivedAt: t0,
    mode: "delayed",
    status: "queued",
    maxAttempts: 3,
    nextAttemptAt: t0,
    nextTrigger: "scheduler",
    payload: { id: "inv-1" },
    ...seed,
  };
}

/** WAL frames written since the last checkpoint: every commit appends the pages it changed. */
function walFrames(): number {
  const raw = new Database(filename);
  try {
    const [row] = raw.pragma("wal_checkpoint(PASSIVE)") as { log: number }[];
    return row!.log;
  } finally {
    raw.close();
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "webhook-inbox-sqlite-unit-"));
  filename = join(dir, "inbox.sqlite");
});

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("SqliteStore", () => {
  it("keeps deliveries, events, attempts, resources and watermarks across close and reopen", async () => {
    const first = open();
    const d = delivery();
    const e = event(d);
    await first.insertDelivery({ delivery: d, events: [e] });
    const { events } = await first.claimDue({ now: t0, limit: 10, leaseMs: 60_000, workerId: "w" });
    const watermark = { integration: "qbo", tenantId: "realm-1", entityType: "Invoice", entityId: "inv-1", occurredAt: t0, eventId: e.id, downloadedAt: t0 };
    await first.finishAttempts([
      {
        eventId: e.id,
        leaseToken: events[0]!.leaseToken,
        attempt: { trigger: "scheduler", startedAt: t0, endedAt: t0, outcome: "succeeded", error: null },
        status: "succeeded",
        attemptsMade: 1,
        nextAttemptAt: null,
        nextTrigger: "scheduler",
        lastError: null,
        resource: { data: { Id: "inv-1", Amount: 10 }, downloadedAt: t0 },
        watermark,
        now: t0,
      },
    ]);
    await first.close();

    const second = open();
    const stored = await second.getDelivery(d.id);
    expect(Array.from(stored!.rawBody)).toEqual([0x7b, 0x00, 0xff, 0x7d]);
    const details = await second.getEvent(e.id);
    expect(details?.status).toBe("succeeded");
    expect(details?.attempts.map((a) => a.number)).toEqual([1]);
    expect(details?.resourceData).toEqual({ data: { Id: "inv-1", Amount: 10 }, downloadedAt: t0 });
    expect(await second.getWatermarks([watermark])).toEqual([watermark]);
    // The dedupe key survives too.
    expect((await second.insertDelivery({ delivery: delivery({ dedupeKey: d.dedupeKey }), events: [] })).status).toBe("duplicate");
    await second.close();

    const raw = new Database(filename, { readonly: true });
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(raw.prepare("SELECT MAX(version) AS v FROM schema_version").get()).toEqual({ v: SQLITE_SCHEMA_VERSION });
    raw.close();
  });

  it("commits inserts still waiting for their group when closed", async () => {
    const store = open({ groupCommit: { maxBatch: 64, maxWaitMs: 50 } });
    await store.migrate();
    const d = delivery();
    const pending = store.insertDelivery({ delivery: d, events: [event(d)] });
    await store.close();
    expect(await pending).toEqual({ status: "inserted", deliveryId: d.id });
    expect((await open().getDelivery(d.id))?.eventCount).toBe(1);
  });

  it("group-commits concurrent inserts: fewer WAL commits, each caller answered after its commit", async () => {
    const inputs = () =>
      Array.from({ length: 40 }, () => {
        const d = delivery();
        return { delivery: d, events: [event(d), event(d)] };
      });

    const single = open({ groupCommit: { maxBatch: 1, maxWaitMs: 0 } });
    await single.migrate();
    const before = walFrames();
    await Promise.all(inputs().map((input) => single.insertDelivery(input)));
    const perCall = walFrames() - before;
    await single.close();

    const grouped = open();
    await grouped.migrate();
    const beforeGrouped = walFrames();
    const reader = new Database(filename, { readonly: true });
    const visibleOnResolve: boolean[] = [];
    await Promise.all(
      inputs().map((input) =>
        grouped.insertDelivery(input).then(() => {
          // Another connection sees the row the moment the caller is answered: it was committed.
          visibleOnResolve.push(reader.prepare("SELECT 1 FROM deliveries WHERE id = ?").get(input.delivery.id) !== undefined);
        }),
      ),
    );
    reader.close();
    const perGroup = walFrames() - beforeGrouped;

    expect(visibleOnResolve).toEqual(Array.from({ length: 40 }, () => true));
    expect(perGroup * 5).toBeLessThan(perCall);
  });

  it("transaction(fn) commits the host's writes with finishAttempts, rolls both back on throw, and holds other calls", async () => {
    const store = open();
    const d = delivery();
    const e = event(d);
    await store.insertDelivery({ delivery: d, events: [e] });
    const { events } = await store.claimDue({ now: t0, limit: 1, leaseMs: 60_000, workerId: "w" });
    const finish = {
      eventId: e.id,
      leaseToken: events[0]!.leaseToken,
      attempt: { trigger: "scheduler" as const, startedAt: t0, endedAt: t0, outcome: "succeeded" as const, error: null },
      status: "succeeded" as const,
      attemptsMade: 1,
      nextAttemptAt: null,
      nextTrigger: "scheduler" as const,
      lastError: null,
      now: t0,
    };

    await expect(
      store.transaction(async (tx) => {
        const db = tx as Database.Database;
        db.exec("CREATE TABLE invoices (id TEXT PRIMARY KEY)");
        db.prepare("INSERT INTO invoices VALUES (?)").run("inv-1");
        expect(await store.finishAttempts([finish], tx)).toEqual([true]);
        throw new Error("host failed");
      }),
    ).rejects.toThrow("host failed");
    expect((await store.getEvent(e.id))?.status).toBe("processing");

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    const transaction = store.transaction(async (tx) => {
      const db = tx as Database.Database;
      db.exec("CREATE TABLE invoices (id TEXT PRIMARY KEY)");
      db.prepare("INSERT INTO invoices VALUES (?)").run("inv-1");
      // A call from inside fn joins the transaction instead of waiting for it.
      expect((await store.getEvent(e.id))?.status).toBe("processing");
      await gate;
      expect(await store.finishAttempts([finish], tx)).toEqual([true]);
      order.push("commit");
      return "ok";
    });
    const outside = store.getEvent(e.id).then((details) => {
      order.push(`outside saw ${details?.status}`);
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);
    release();
    expect(await transaction).toBe("ok");
    await outside;
    expect(order).toEqual(["commit", "outside saw succeeded"]);
    await store.close();

    const raw = new Database(filename, { readonly: true });
    expect(raw.prepare("SELECT id FROM invoices").all()).toEqual([{ id: "inv-1" }]);
    raw.close();
  });

  it("refuses a transaction object that is not its open transaction", async () => {
    const store = open();
    await store.migrate();
    await expect(store.finishAttempts([], {})).rejects.toBeInstanceOf(StoreError);
  });

  it("wraps driver failures in StoreError naming the store and keeping the cause", async () => {
    const store = new SqliteStore({ filename: join(dir, "missing-dir", "inbox.sqlite") });
    const error = await store.migrate().then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).store).toBe("sqlite");
    expect((error as StoreError).message).toBe("[sqlite] migrate failed");
    expect((error as StoreError).cause).toBeInstanceOf(Error);
  });

  it("refuses a file written by a newer schema version", async () => {
    const raw = new Database(filename);
    raw.exec("CREATE TABLE schema_version (version INTEGER PRIMARY KEY) STRICT; INSERT INTO schema_version VALUES (999)");
    raw.close();
    await expect(open().migrate()).rejects.toThrow(/migrate failed/);
  });

  it("rejects calls after close() with StoreError, and close() is idempotent", async () => {
    const store = open();
    await store.migrate();
    await store.close();
    await store.close();
    await expect(store.getEvent(createId())).rejects.toMatchObject({ code: "STORE_FAILED", message: "[sqlite] getEvent failed: the store is closed" });
    await expect(store.insertDelivery({ delivery: delivery(), events: [] })).rejects.toBeInstanceOf(StoreError);
  });

  it("validates its options, naming the bad one", () => {
    expect(() => new SqliteStore({ filename: "" })).toThrow(WebhookConfigError);
    expect(() => new SqliteStore({ filename: "x", synchronous: "off" as "full" })).toThrow(/synchronous/);
    expect(() => new SqliteStore({ filename: "x", groupCommit: { maxBatch: 0, maxWaitMs: 0 } })).toThrow(/groupCommit\.maxBatch/);
    expect(() => new SqliteStore({ filename: "x", busyTimeout: 5 } as never)).toThrow(/busyTimeout/);
  });

  it("uses synchronous=FULL by default and NORMAL when asked", async () => {
    // PRAGMA synchronous is per connection, so read it through the transaction object.
    const level = async (store: SqliteStore) => store.transaction(async (tx) => (tx as Database.Database).pragma("synchronous", { simple: true }));
    expect(await level(open())).toBe(2);
    expect(await level(open({ synchronous: "normal" }))).toBe(1);
  });
});
