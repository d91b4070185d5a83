/**
 * Data a durable store may choke on, arriving from the provider's API rather than the webhook: a
 * downloaded record with a NUL character or a lone surrogate in a string (legal JSON, legal in
 * QuickBooks memo fields). One such record must not stop its neighbours from finishing, nor make
 * their handlers run again and again.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { type InboxEvent, createWebhookInbox } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";
import { quickbooks } from "webhook-inbox/quickbooks";
import { ManualClock, quickBooksClassicPayload, startFakeQuickBooks } from "webhook-inbox/testing";
import { silentLogger } from "./support.ts";

const url = process.env.DATABASE_URL;
const VERIFIER = "poison-verifier";
const REALM = "4620816365000000001";

if (!url) {
  describe.skip("poison data on PostgreSQL (skipped: set DATABASE_URL to run)", () => {
    it("needs PostgreSQL", () => {});
  });
} else {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const schemas: string[] = [];
  afterAll(async () => {
    for (const schema of schemas) await pool.query(`drop schema if exists "${schema}" cascade`);
    await pool.end();
  });

  describe("poison data on PostgreSQL", () => {
    it.each([
      ["a NUL character", "memo\u0000with nul"],
      ["a lone surrogate", "memo \ud800 broken"],
    ])("a downloaded record with %s: every event of the pass still finishes, each handler runs once", async (_label, memo) => {
      const fake = await startFakeQuickBooks();
      const schema = `wi_poison_${randomBytes(5).toString("hex")}`;
      schemas.push(schema);
      try {
        fake.records.set(REALM, "Invoice", "1", { TotalAmt: 1 });
        fake.records.set(REALM, "Invoice", "2", { TotalAmt: 2, PrivateNote: memo });
        fake.records.set(REALM, "Invoice", "3", { TotalAmt: 3 });
        const clock = new ManualClock(new Date());
        const handled: InboxEvent[] = [];
        const inbox = createWebhookInbox({
          store: new PostgresStore({ pool, schema }),
          clock,
          integrations: { qbo: { provider: quickbooks({ verifierToken: VERIFIER, getAccessToken: () => "token", baseUrl: fake.url }) } },
          handler: (event) => {
            handled.push(event);
          },
          leaseMs: 1_000,
          handlerTimeoutMs: 500,
          retryDelay: () => 1_000,
          logger: silentLogger,
        });
        inbox.on("error", () => {});
        const { body, headers } = quickBooksClassicPayload(
          VERIFIER,
          ["1", "2", "3"].map((id) => ({ realmId: REALM, name: "Invoice", id, lastUpdated: clock.now().toISOString() })),
        );
        expect((await inbox.receive({ integration: "qbo", rawBody: Buffer.from(body), headers })).status).toBe(200);
        // Three passes, each after the lease of the one before has run out.
        for (let pass = 0; pass < 3; pass += 1) {
          await inbox.drain().catch(() => {});
          clock.advance(1_500);
        }
        const page = await inbox.listEvents({});
        const byEntity = Object.fromEntries(page.items.map((event) => [event.entityId, event.status]));
        expect(byEntity).toEqual({ "1": "succeeded", "2": "succeeded", "3": "succeeded" });
        expect(handled.map((event) => event.entityId).sort()).toEqual(["1", "2", "3"]);
      } finally {
        await fake.close();
      }
    });
  });
}
