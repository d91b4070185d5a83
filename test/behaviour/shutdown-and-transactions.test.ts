import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { type FetchResourcesResult, type FinishAttemptInput, MemoryStore, createWebhookInbox } from "webhook-inbox";
import { SqliteStore } from "webhook-inbox/sqlite";
import { ManualClock, testProvider, testWebhook } from "webhook-inbox/testing";
import { SECRET, change } from "../helpers/inbox.ts";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe("stop() in the middle of a pass", () => {
  it("hands an event whose download was cut short back unspent", async () => {
    const provider = testProvider({ secret: SECRET });
    let fetchStarted!: () => void;
    const started = new Promise<void>((resolve) => (fetchStarted = resolve));
    provider.fetchResources = ({ signal }) =>
      new Promise<FetchResourcesResult>((_, reject) => {
        fetchStarted();
        signal.addEventListener("abort", () => reject(signal.reason));
      });
    const inbox = createWebhookInbox({ store: new MemoryStore(), integrations: { acme: { provider } }, handler: () => {}, logger: quiet });
    await inbox.start();
    const { body, headers } = testWebhook(SECRET, [change("1", "2030-01-01T00:00:00Z")]);
    await inbox.receive({ integration: "acme", rawBody: Buffer.from(body), headers });
    await started;
    await inbox.stop();

    const [event] = (await inbox.listEvents()).items;
    expect([event?.status, event?.attemptsMade, event?.attemptsRemaining]).toEqual(["queued", 0, 3]);
    expect((await inbox.getEvent(event!.id))?.attempts).toEqual([]);
  });
});

describe("transactionalHandler", () => {
  function setup(options: { loseLease?: boolean; handler: (db: Database) => Promise<void> | void; handlerTimeoutMs?: number }) {
    const store = new SqliteStore({ filename: join(mkdtempSync(join(tmpdir(), "wi-tx-")), "inbox.sqlite") });
    if (options.loseLease) {
      // Another worker took the event over while the handler ran: the finish in the transaction fails.
      const finish = store.finishAttempts.bind(store);
      store.finishAttempts = async (inputs: readonly FinishAttemptInput[], transaction?: unknown) =>
        transaction === undefined ? finish(inputs) : inputs.map(() => false);
    }
    const provider = testProvider({ secret: SECRET });
    provider.api.set("t1", "invoice", "1", { Id: "1" });
    const inbox = createWebhookInbox({
      store,
      clock: new ManualClock(),
      integrations: { acme: { provider } },
      transactionalHandler: true,
      handlerTimeoutMs: options.handlerTimeoutMs ?? 30_000,
      logger: quiet,
      handler: (_event, { transaction }) => options.handler(transaction as Database),
    });
    const send = () => {
      const { body, headers } = testWebhook(SECRET, [change("1", "2030-01-01T00:00:00Z")]);
      return inbox.receive({ integration: "acme", rawBody: Buffer.from(body), headers });
    };
    return { store, inbox, send };
  }

  async function hostRows(store: SqliteStore): Promise<number> {
    let count = 0;
    await store.transaction(async (db) => {
      count = ((db as Database).prepare("SELECT count(*) AS n FROM host_invoices").get() as { n: number }).n;
    });
    return count;
  }

  it("commits the host's writes with the event's completion", async () => {
    const { store, inbox, send } = setup({ handler: (db) => void db.prepare("INSERT INTO host_invoices (id) VALUES ('1')").run() });
    await send();
    await store.transaction(async (db) => void (db as Database).exec("CREATE TABLE host_invoices (id TEXT)"));
    await inbox.drain();
    expect(await hostRows(store)).toBe(1);
    const [event] = (await inbox.listEvents()).items;
    expect(event?.status).toBe("succeeded");
    const details = await inbox.getEvent(event!.id);
    expect(details?.attempts[0]?.outcome).toBe("succeeded");
    await store.close();
  });

  it("rolls the host's writes back when the lease was lost before the finish", async () => {
    const { store, inbox, send } = setup({ loseLease: true, handler: (db) => void db.prepare("INSERT INTO host_invoices (id) VALUES ('1')").run() });
    await send();
    await store.transaction(async (db) => void (db as Database).exec("CREATE TABLE host_invoices (id TEXT)"));
    await inbox.drain();
    expect(await hostRows(store)).toBe(0);
    await store.close();
  });

  it("waits for a timed-out handler before rolling back, so its late write is undone too", async () => {
    const { store, inbox, send } = setup({
      handlerTimeoutMs: 50,
      handler: async (db) => {
        await new Promise((resolve) => setTimeout(resolve, 80));
        db.prepare("INSERT INTO host_invoices (id) VALUES ('late')").run();
      },
    });
    await send();
    await store.transaction(async (db) => void (db as Database).exec("CREATE TABLE host_invoices (id TEXT)"));
    await inbox.drain();
    await new Promise((resolve) => setTimeout(resolve, 100)); // past the handler's late write
    expect(await hostRows(store)).toBe(0);
    const [event] = (await inbox.listEvents()).items;
    expect([event?.status, event?.lastError]).toEqual(["retrying", "handler timed out after 50 ms"]);
    await store.close();
  });
});
