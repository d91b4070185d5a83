/**
 * Workers' clocks do not decide which data is newer: each pass takes a store-assigned download sequence
 * before downloading, and the staleness guard compares those. Reproduces the issue's cases on every
 * store: the clock stepped back 2 minutes, and a worker 5 s fast, must not make the newest change stale.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { type InboxEvent, MemoryStore, type WebhookStore, createWebhookInbox } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";
import { SqliteStore } from "webhook-inbox/sqlite";
import { ManualClock, TestApi, testProvider, testWebhook } from "webhook-inbox/testing";
import { SECRET, change } from "../helpers/inbox.ts";

const url = process.env.DATABASE_URL;
const pool = url ? new pg.Pool({ connectionString: url, max: 4 }) : null;
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  await pool?.end();
});

const stores: [string, () => WebhookStore][] = [
  ["MemoryStore", () => new MemoryStore()],
  [
    "SqliteStore",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "webhook-inbox-clocks-"));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      return new SqliteStore({ filename: join(dir, "inbox.sqlite") });
    },
  ],
];
if (pool) {
  stores.push([
    "PostgresStore",
    () => {
      const schema = `wi_clocks_${randomBytes(5).toString("hex")}`;
      cleanups.push(async () => void (await pool.query(`drop schema if exists "${schema}" cascade`)));
      return new PostgresStore({ pool, schema });
    },
  ]);
}

/** A worker: its own inbox and clock over the shared store and provider API. */
function worker(store: WebhookStore, api: TestApi, clock: ManualClock, handled: InboxEvent[]) {
  const inbox = createWebhookInbox({
    store,
    clock,
    integrations: { acme: { provider: testProvider({ secret: SECRET, api, maxBatchSize: 10 }), mode: "delayed", delayMs: 0 } },
    handler: (event) => void handled.push(event),
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  const send = (occurredAt: Date, id: string) => {
    const { body, headers } = testWebhook(SECRET, [change("1", occurredAt.toISOString())], id);
    return inbox.receive({ integration: "acme", rawBody: Buffer.from(body), headers });
  };
  return { inbox, send };
}

describe.each(stores)("the newest change is handled whatever the workers' clocks say (%s)", (_name, createStore) => {
  it("after the clock steps back 2 minutes", async () => {
    const store = createStore();
    const api = new TestApi();
    const clock = new ManualClock();
    const handled: InboxEvent[] = [];
    const { inbox, send } = worker(store, api, clock, handled);
    const first = clock.now();

    api.set("t1", "invoice", "1", { Id: "1", Balance: 1 });
    expect((await send(first, "evt-1")).status).toBe(202);
    clock.advance(1_000);
    await inbox.drain();

    // The host's clock is stepped back 2 minutes (NTP correction, VM restore); the provider's is right.
    clock.advance(-120_000);
    api.set("t1", "invoice", "1", { Id: "1", Balance: 2 });
    expect((await send(new Date(first.getTime() + 2_000), "evt-2")).status).toBe(202);
    await inbox.drain();

    expect(handled.map((event) => event.resource)).toEqual([
      { Id: "1", Balance: 1 },
      { Id: "1", Balance: 2 },
    ]);
    expect((await inbox.listEvents({ status: "stale" })).items).toEqual([]);
    expect((await inbox.listEvents({ status: "succeeded" })).items).toHaveLength(2);
    await inbox.stop();
    await store.close();
  });

  it("when another worker's clock is 5 s fast", async () => {
    const store = createStore();
    const api = new TestApi();
    const clockB = new ManualClock();
    const clockA = new ManualClock(new Date(clockB.now().getTime() + 5_000)); // worker A runs 5 s fast
    const handled: InboxEvent[] = [];
    const a = worker(store, api, clockA, handled);
    const b = worker(store, api, clockB, handled);
    const start = clockB.now();

    // Worker A applies the first change: its download is dated 5 s ahead of real time.
    api.set("t1", "invoice", "1", { Id: "1", Balance: 1 });
    expect((await a.send(start, "evt-1")).status).toBe(202);
    await a.inbox.drain();
    expect(handled).toHaveLength(1);

    // One second later (real time) worker B, whose clock is right, handles the next change.
    clockA.advance(1_000);
    clockB.advance(1_000);
    api.set("t1", "invoice", "1", { Id: "1", Balance: 2 });
    expect((await b.send(clockB.now(), "evt-2")).status).toBe(202);
    await b.inbox.drain();

    expect(handled.map((event) => event.resource)).toEqual([
      { Id: "1", Balance: 1 },
      { Id: "1", Balance: 2 },
    ]);
    expect((await b.inbox.listEvents({ status: "stale" })).items).toEqual([]);
    await Promise.all([a.inbox.stop(), b.inbox.stop()]);
    await store.close();
  });

  it("still skips a change whose data was already applied by a later download", async () => {
    const store = createStore();
    const api = new TestApi();
    const clock = new ManualClock();
    const handled: InboxEvent[] = [];
    const { inbox, send } = worker(store, api, clock, handled);
    const first = clock.now();

    api.set("t1", "invoice", "1", { Id: "1", Balance: 2 });
    await send(new Date(first.getTime() + 1_000), "evt-new");
    clock.advance(2_000);
    await inbox.drain();
    // A change older than the applied one arrives late: its data is already held, it is stale.
    await send(first, "evt-old");
    await inbox.drain();

    expect(handled).toHaveLength(1);
    const stale = (await inbox.listEvents({ status: "stale" })).items;
    expect(stale).toHaveLength(1);
    await inbox.stop();
    await store.close();
  });
});
