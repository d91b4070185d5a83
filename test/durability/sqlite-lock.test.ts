/**
 * The SQLite file locked by another connection (another process writing it): the host's event loop
 * keeps turning while the store waits for the lock, a lock that outlasts `busyTimeoutMs` gets the
 * provider a 503 + Retry-After, and a lock released during the wait lets the receive through.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ReceiveResult, type WebhookProcessor, createWebhookInbox } from "webhook-inbox";
import { SqliteStore } from "webhook-inbox/sqlite";
import { TestApi, testProvider, testWebhook } from "webhook-inbox/testing";

const SECRET = "sqlite-lock-secret";
const silent = { debug() {}, info() {}, warn() {}, error() {} };
let dir = "";
let store: SqliteStore;
let inbox: WebhookProcessor;
let other: Database.Database;
let sent = 0;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "wi-sqlite-lock-"));
  const filename = join(dir, "inbox.sqlite");
  store = new SqliteStore({ filename, busyTimeoutMs: 800 });
  inbox = createWebhookInbox({
    store,
    integrations: { acme: { provider: testProvider({ secret: SECRET, api: new TestApi() }), mode: "immediate" } },
    handler: async () => {},
    logger: silent,
  });
  inbox.on("error", () => {}); // the locked file is expected here
  await inbox.start();
  // A second connection to the same file, as another process would hold it.
  other = new Database(filename);
});

afterEach(async () => {
  if (other.inTransaction) other.exec("ROLLBACK");
  other.close();
  await inbox.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function send(): Promise<ReceiveResult> {
  sent += 1;
  const { body, headers } = testWebhook(
    SECRET,
    [{ tenantId: "t1", entityType: "invoice", entityId: `e${sent}`, occurredAt: new Date().toISOString() }],
    `d${sent}`,
  );
  return inbox.receive({ integration: "acme", rawBody: Buffer.from(body), headers });
}

/** Counts the ticks of a 10 ms interval while `work` runs. */
async function ticksDuring<T>(work: () => Promise<T>): Promise<{ value: T; ticks: number }> {
  let ticks = 0;
  const timer = setInterval(() => (ticks += 1), 10);
  try {
    const value = await work();
    return { value, ticks };
  } finally {
    clearInterval(timer);
  }
}

describe("SqliteStore when another connection holds the write lock", () => {
  it("the event loop keeps turning while the lock is waited for, and the receive is answered 503 + Retry-After", async () => {
    expect((await send()).status).toBe(202);
    other.exec("BEGIN IMMEDIATE");
    const { value: answer, ticks } = await ticksDuring(() => send());
    expect(answer.status, answer.body).toBe(503);
    expect(answer.headers["retry-after"]).toMatch(/^\d+$/);
    expect(JSON.parse(answer.body).error).toBe("STORE_FAILED");
    // The wait was 800 ms of asynchronous retries: a synchronous busy wait would have let no tick through.
    expect(ticks).toBeGreaterThanOrEqual(10);
    other.exec("ROLLBACK");
    expect((await send()).status).toBe(202);
  });

  it("a lock released during the wait lets the receive through (202), with no 503", async () => {
    other.exec("BEGIN IMMEDIATE");
    const release = setTimeout(() => other.exec("COMMIT"), 150);
    try {
      const { value: answer, ticks } = await ticksDuring(() => send());
      expect(answer.status, answer.body).toBe(202);
      expect(ticks).toBeGreaterThanOrEqual(3);
    } finally {
      clearTimeout(release);
    }
    const page = await inbox.listEvents({});
    expect(page.items.map((event) => event.entityId)).toContain(`e${sent}`);
  });

  it("reads of the inbox go on while the file is locked (WAL readers are not blocked by a writer)", async () => {
    expect((await send()).status).toBe(202);
    other.exec("BEGIN IMMEDIATE");
    other.prepare("DELETE FROM events").run();
    const page = await inbox.listEvents({});
    expect(page.items).toHaveLength(1);
  });
});
