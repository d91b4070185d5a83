/**
 * A correctly signed body with a field nested thousands of levels deep (legal JSON, and JSON.parse
 * reads it) must not reach the stores' JSON serialisation, where it overflows the stack: it is stored
 * whole as `unparseable` and acknowledged, so the provider stops resending it and an operator can see
 * it, on every store.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryStore, createWebhookInbox, type WebhookStore } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";
import { SqliteStore } from "webhook-inbox/sqlite";
import { quickbooks } from "webhook-inbox/quickbooks";
import { signQuickBooks } from "webhook-inbox/testing";
import { silentLogger } from "./support.ts";

const VERIFIER = "deep-nesting-verifier";
const REALM = "4620816365000000001";
const url = process.env.DATABASE_URL;
const dir = mkdtempSync(join(tmpdir(), "wi-deep-"));
const pool = url ? new pg.Pool({ connectionString: url, max: 2 }) : undefined;
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
      const schema = `wi_deep_${randomBytes(5).toString("hex")}`;
      schemas.push(schema);
      return new PostgresStore({ pool, schema });
    },
  ]);
}

/** A signed QuickBooks notification whose entity carries an extra field nested `depth` levels deep (kept in the event's payload as sent). */
function deepWebhook(depth: number, id: string, text = "deep"): { body: string; headers: Record<string, string> } {
  const note = `${"[".repeat(depth)}${JSON.stringify(text)}${"]".repeat(depth)}`;
  const entity = `{"name":"Invoice","id":${JSON.stringify(id)},"operation":"Update","lastUpdated":"2030-01-01T00:00:00.000Z","note":${note}}`;
  const body = `{"eventNotifications":[{"realmId":"${REALM}","dataChangeEvent":{"entities":[${entity}]}}]}`;
  return { body, headers: { "content-type": "application/json", "intuit-signature": signQuickBooks(body, VERIFIER) } };
}

describe.each(stores)("a signed body nested 6,000 levels deep (%s store)", (_name, makeStore) => {
  it("is stored as unparseable and acknowledged, on the first send and on a resend; a normal webhook still works", async () => {
    const inbox = createWebhookInbox({
      store: makeStore(),
      integrations: { qbo: { provider: quickbooks({ verifierToken: VERIFIER, getAccessToken: () => "token" }), mode: "delayed" } },
      handler: async () => {},
      logger: silentLogger,
    });
    inbox.on("error", () => {});
    try {
      const deep = deepWebhook(6_000, "1");
      const first = await inbox.receive({ integration: "qbo", rawBody: Buffer.from(deep.body), headers: deep.headers });
      expect(first.status).toBe(200);
      const resend = await inbox.receive({ integration: "qbo", rawBody: Buffer.from(deep.body), headers: deep.headers });
      expect(resend.status).toBe(200);

      const { items } = await inbox.listDeliveries();
      expect(items.map((delivery) => delivery.status).sort()).toEqual(["duplicate", "unparseable"]);
      const kept = items.find((delivery) => delivery.status === "unparseable")!;
      expect(kept.reason).toMatch(/nested deeper than/);
      // Kept whole, byte for byte, for an operator.
      const record = await inbox.getDelivery(kept.id);
      expect(Buffer.from(record!.rawBody).toString("utf8")).toBe(deep.body);
      expect((await inbox.listEvents()).items).toHaveLength(0);

      // A body of ordinary depth is stored with its event as before, brackets and escaped quotes inside strings being text.
      const normal = deepWebhook(20, "2", `\\"${"[{".repeat(5_000)}`);
      const answer = await inbox.receive({ integration: "qbo", rawBody: Buffer.from(normal.body), headers: normal.headers });
      expect(answer.status).toBe(200);
      expect((await inbox.listEvents()).items).toHaveLength(1);
    } finally {
      await inbox.stop();
    }
  });
});
