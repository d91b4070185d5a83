/**
 * `direct` mode records a delivery as in progress until its outcome is known: the log never shows an
 * answer that was not sent, and a resend of a delivery without a recorded outcome (still running, or
 * its process died, or recording its failure failed) is processed instead of answered "duplicate".
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it, vi } from "vitest";
import { MemoryStore, StoreError, createWebhookInbox, type WebhookStore } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";
import { SqliteStore } from "webhook-inbox/sqlite";
import { TestApi, testProvider, testWebhook } from "webhook-inbox/testing";
import { silentLogger } from "./support.ts";

const SECRET = "direct-outcome-secret";
const url = process.env.DATABASE_URL;
const dir = mkdtempSync(join(tmpdir(), "wi-direct-"));
const pool = url ? new pg.Pool({ connectionString: url, max: 4 }) : undefined;
const schemas: string[] = [];
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const schema of schemas) await pool!.query(`drop schema if exists "${schema}" cascade`);
  await pool?.end();
});

const stores: [string, () => WebhookStore][] = [
  ["memory", () => new MemoryStore()],
  ["SQLite", () => new SqliteStore({ filename: join(dir, `${randomBytes(4).toString("hex")}.db`) })],
];
if (pool) {
  stores.push([
    "PostgreSQL",
    () => {
      const schema = `wi_direct_${randomBytes(5).toString("hex")}`;
      schemas.push(schema);
      return new PostgresStore({ pool, schema });
    },
  ]);
}

const webhook = testWebhook(SECRET, [{ tenantId: "t1", entityType: "invoice", entityId: "inv-1", occurredAt: "2020-01-01T00:00:00.000Z" }], "evt-1");

function setup(store: WebhookStore, handler: () => Promise<void>) {
  const api = new TestApi();
  api.set("t1", "invoice", "inv-1", { Id: "inv-1" });
  const inbox = createWebhookInbox({
    store,
    integrations: { test: { provider: testProvider({ secret: SECRET, api }), mode: "direct" } },
    handler,
    logger: silentLogger,
  });
  inbox.on("error", () => {});
  const send = () => inbox.receive({ integration: "test", rawBody: Buffer.from(webhook.body), headers: webhook.headers });
  return { inbox, send };
}

describe.each(stores)("direct mode outcomes (%s store)", (_name, makeStore) => {
  it("while the handler runs the delivery has no recorded answer; a resend then is processed, not a duplicate", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const { inbox, send } = setup(makeStore(), async () => {
      calls += 1;
      if (calls === 1) await gate;
    });
    try {
      const first = send();
      const [running] = await vi.waitFor(async () => {
        const { items } = await inbox.listDeliveries();
        expect(items).toHaveLength(1);
        return items;
      });
      await vi.waitFor(() => expect(calls).toBe(1));
      expect(running!.status).toBe("accepted");
      expect(running!.response).toBeNull();

      const resend = await send();
      expect(resend.status).toBe(200);
      expect(resend.body).not.toContain("duplicate");
      expect(calls).toBe(2);

      release();
      expect((await first).status).toBe(200);
      const { items } = await inbox.listDeliveries();
      expect(items.map((delivery) => [delivery.status, delivery.response?.status])).toEqual([
        ["processed", 200],
        ["processed", 200],
      ]);
      // Both outcomes are known now: a third copy is a duplicate.
      const third = await send();
      expect(third.body).toContain("duplicate");
      expect(calls).toBe(2);
    } finally {
      release();
      await inbox.stop();
    }
  });

  it("when recording a failure fails, the key is not left held: the resend is processed", async () => {
    const store = makeStore();
    let failUpdates = 0;
    const flaky = new Proxy(store, {
      get(target, property, receiver) {
        if (property === "updateDelivery") {
          return async (...args: Parameters<WebhookStore["updateDelivery"]>) => {
            if (failUpdates > 0) {
              failUpdates -= 1;
              throw new StoreError("flaky", "the store went away for a moment");
            }
            return target.updateDelivery(...args);
          };
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    let calls = 0;
    const { inbox, send } = setup(flaky, async () => {
      calls += 1;
      if (calls === 1) throw new Error("handler failed once");
    });
    try {
      failUpdates = 1;
      const first = await send();
      expect(first.status).toBe(500);
      const [left] = (await inbox.listDeliveries()).items;
      expect(left!.status).toBe("accepted");
      expect(left!.response).toBeNull();

      const resend = await send();
      expect(resend.status).toBe(200);
      expect(resend.body).not.toContain("duplicate");
      expect(calls).toBe(2);
      const { items } = await inbox.listDeliveries();
      expect(items.map((delivery) => delivery.status).sort()).toEqual(["processed", "processed"]);
    } finally {
      await inbox.stop();
    }
  });
});
