/**
 * Fairness across tenants: a large tenant's backlog does not keep a small tenant's events waiting.
 * Group claims let tenants with due work take turns within every pass, so the small tenant's
 * events, received after a 5,000-event import, are processed by the first pass (not the 11th).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryStore, type WebhookStore } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";
import { SqliteStore } from "webhook-inbox/sqlite";
import { change, setupInbox } from "../helpers/inbox.ts";

const LARGE = 5_000;
const SMALL = 5;
const dir = mkdtempSync(join(tmpdir(), "wi-fairness-"));
const url = process.env.DATABASE_URL;
const schema = `wi_fair_${randomBytes(5).toString("hex")}`;
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!url) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
});

const stores: [string, () => WebhookStore][] = [
  ["MemoryStore", () => new MemoryStore()],
  ["SqliteStore", () => new SqliteStore({ filename: join(dir, `fair-${Date.now()}.sqlite`), synchronous: "normal" })],
  ...(url ? [["PostgresStore", () => new PostgresStore({ connectionString: url, schema })] as [string, () => WebhookStore]] : []),
];

describe.each(stores)("tenant fairness (%s)", (_name, createStore) => {
  it(`processes a small tenant's ${SMALL} events in the first pass while a ${LARGE}-event backlog of another tenant drains`, { timeout: 120_000 }, async () => {
    const store = createStore();
    // Default claimBatchSize (500): the large backlog alone takes ceil(5,000 / 500) = 10 passes.
    // Rate limits lifted: the measure is the order of work, not the provider's budget (each tenant's own limits still apply).
    const limits = { tenant: { concurrency: 100, windows: [] }, defaultRetryAfterMs: 1_000 };
    const { inbox, api, send, clock, handled } = setupInbox({ mode: "delayed", maxBatchSize: 10, limits, inbox: { store } });
    for (let i = 0; i < LARGE; i += 100) {
      const changes = Array.from({ length: 100 }, (_, j) => change(String(i + j), "2030-01-01T00:00:00Z", { tenantId: "large" }));
      for (const { entityId } of changes) api.set("large", "invoice", entityId, { Id: entityId });
      await send(changes);
    }
    clock.advance(60_000); // the import has waited a minute before the small tenant's webhook arrives
    for (let i = 0; i < SMALL; i += 1) api.set("small", "invoice", String(i), { Id: String(i) });
    await send(Array.from({ length: SMALL }, (_, i) => change(String(i), "2030-01-01T00:01:00Z", { tenantId: "small" })));
    clock.advance(1_000);

    let passes = 0;
    let smallDoneAfter: number | null = null;
    const smallHandled = () => handled.filter((event) => event.tenantId === "small").length;
    for (;;) {
      const report = await inbox.runDue();
      passes += 1;
      if (smallDoneAfter === null && smallHandled() === SMALL) smallDoneAfter = passes;
      if (!report.more && (report.nextDueAt === null || report.nextDueAt > clock.now())) break;
    }
    const largeHandled = handled.length - smallHandled();
    console.info(`[fairness] small tenant processed after pass ${smallDoneAfter} of ${passes} (large backlog: ${LARGE} events)`);
    expect(smallDoneAfter).toBe(1);
    expect(largeHandled).toBe(LARGE);
    expect(passes).toBeGreaterThanOrEqual(10);
    // Still the fewest calls: ceil(5,000 / 10) + ceil(5 / 10).
    expect(api.calls.length).toBe(LARGE / 10 + 1);
    await store.close();
  });
});
