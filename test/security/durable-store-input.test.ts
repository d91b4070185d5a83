/**
 * Hostile input that only a durable store can choke on: NUL characters and lone surrogates in JSON
 * strings and header values, extreme dates, odd ids. A signed webhook that is simply odd must be
 * stored (or acknowledged as unparseable), never answered 503 forever, and never half-stored.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { type WebhookStore, createWebhookInbox } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";
import { quickbooks } from "webhook-inbox/quickbooks";
import { SqliteStore } from "webhook-inbox/sqlite";
import { signQuickBooks, signXero } from "webhook-inbox/testing";
import { xero } from "webhook-inbox/xero";
import { capturingLogger } from "../reliability/support.ts";

const VERIFIER = "durable-qbo-verifier";
const XERO_KEY = "durable-xero-key";
const url = process.env.DATABASE_URL;
const RUNS = Number(process.env.FC_RUNS ?? 60);

const odd = fc.oneof(
  fc.constantFrom("a\u0000b", "\u0000", "\ud800", "x\udfffy", "\uffff", "😀", "<script>alert(1)</script>", "'; drop table x; --", "%00", "\\u0000"),
  fc.string({ unit: "binary", maxLength: 12 }),
);
const oddTime = fc.constantFrom(
  "0100-01-01T00:00:00Z",
  "9999-12-31T23:59:59-14:00",
  "1000-01-01T00:00:00.999999999Z",
  "2024-06-21T01:15:39.902",
  "1970-01-01T00:00:00Z",
);

const qboBody = fc
  .record({ realm: odd, name: fc.oneof(odd, fc.constant("Invoice")), id: odd, op: fc.oneof(odd, fc.constant("Update")), time: oddTime, extra: odd })
  .map(({ realm, name, id, op, time, extra }) =>
    JSON.stringify({ eventNotifications: [{ realmId: realm, dataChangeEvent: { entities: [{ name, id, operation: op, lastUpdated: time, note: extra }] } }] }),
  );
const xeroBody = fc
  .record({ tenant: odd, category: fc.oneof(odd, fc.constant("INVOICE")), id: odd, time: oddTime, extra: odd })
  .map(({ tenant, category, id, time, extra }) =>
    JSON.stringify({
      events: [{ resourceId: id, eventDateUtc: time, eventType: "UPDATE", eventCategory: category, tenantId: tenant, note: extra }],
      firstEventSequence: 1,
      lastEventSequence: 1,
      entropy: "X",
    }),
  );

async function runProperty(store: WebhookStore) {
  const log = capturingLogger();
  const getAccessToken = () => "token";
  const inbox = createWebhookInbox({
    store,
    integrations: {
      qbo: { provider: quickbooks({ verifierToken: VERIFIER, getAccessToken, baseUrl: "http://127.0.0.1:9" }) },
      xero: { provider: xero({ webhookKey: XERO_KEY, getAccessToken, baseUrl: "http://127.0.0.1:9/api.xro/2.0" }) },
    },
    handler: () => {},
    logger: log.logger,
  });
  const failures: string[] = [];
  await fc.assert(
    fc.asyncProperty(fc.boolean(), qboBody, xeroBody, odd, async (isQbo, qbo, xro, headerValue) => {
      const body = Buffer.from(isQbo ? qbo : xro);
      const headers = {
        "content-type": "application/json",
        "x-forwarded-for": headerValue,
        [isQbo ? "intuit-signature" : "x-xero-signature"]: isQbo ? signQuickBooks(body, VERIFIER) : signXero(body, XERO_KEY),
      };
      const answer = await inbox.receive({ integration: isQbo ? "qbo" : "xero", rawBody: body, headers });
      if (answer.status >= 300)
        failures.push(`${answer.status} for ${JSON.stringify(body.toString())} header ${JSON.stringify(headerValue)}: ${log.lines.at(-1)?.message ?? ""}`);
      expect(answer.status, failures.at(-1)).toBeLessThan(300);
      // Xero's acknowledgement has no body (its rule): the newest delivery is this one.
      const id = answer.body === "" ? (await inbox.listDeliveries({ limit: 1 })).items[0]!.id : (JSON.parse(answer.body) as { deliveryId: string }).deliveryId;
      const delivery = await inbox.getDelivery(id);
      expect(delivery).not.toBeNull();
      expect(Buffer.from(delivery!.rawBody).equals(body)).toBe(true);
      const events = await inbox.listEvents({ deliveryId: id });
      expect(events.items.length).toBe(delivery!.eventCount);
    }),
    { numRuns: RUNS },
  );
}

describe("odd but signed input on durable stores", () => {
  it("SqliteStore stores it or acknowledges it as unparseable, never 5xx, never half-stored", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wi-hostile-"));
    const store = new SqliteStore({ filename: join(dir, "inbox.sqlite") });
    try {
      await runProperty(store);
    } finally {
      await store.close?.();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  if (!url) {
    it.skip("PostgresStore (set DATABASE_URL to run)", () => {});
  } else {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    const schema = `wi_hostile_${randomBytes(5).toString("hex")}`;
    afterAll(async () => {
      await pool.query(`drop schema if exists "${schema}" cascade`);
      await pool.end();
    });
    it("PostgresStore stores it or acknowledges it as unparseable, never 5xx, never half-stored", async () => {
      await runProperty(new PostgresStore({ pool, schema }));
    });
  }
});
