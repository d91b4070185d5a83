/**
 * The serverless examples as a platform calls them, on PostgresStore and the fake QuickBooks API:
 * the Next.js route modules with real `Request`s, the Lambda handlers with an API Gateway (HTTP API
 * 2.0) event. Webhook -> acknowledged 200 and stored; cron -> processed.
 */
import { readFileSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeQuickBooks, quickBooksClassicPayload, startFakeQuickBooks } from "webhook-inbox/testing";

const url = process.env.DATABASE_URL;
const VERIFIER = "serverless-verifier";
const REALM = "4620816365000000001";
const schema = `serverless_examples_${process.pid}`;

describe.skipIf(!url)("serverless examples (PostgresStore)", () => {
  let qbo: FakeQuickBooks;
  beforeAll(async () => {
    qbo = await startFakeQuickBooks();
    Object.assign(process.env, {
      QBO_VERIFIER_TOKEN: VERIFIER,
      QBO_ACCESS_TOKEN: "token",
      QBO_BASE_URL: qbo.url,
      WEBHOOK_INBOX_SCHEMA: schema,
      CRON_SECRET: "cron-secret",
    });
  });
  afterAll(async () => {
    await qbo.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  });

  it("Next.js: the webhook route stores and acknowledges 200, the cron route (authorised) processes it", async () => {
    const webhookRoute = await import("../../examples/nextjs/app/api/webhooks/quickbooks/route.ts");
    const cronRoute = await import("../../examples/nextjs/app/api/cron/route.ts");
    const { inbox } = await import("../../examples/nextjs/lib/inbox.ts");
    qbo.records.seed(REALM, "Invoice", ["130"], (id) => ({ DocNumber: `INV-${id}` }));
    const signed = quickBooksClassicPayload(VERIFIER, [{ realmId: REALM, name: "Invoice", id: "130", lastUpdated: "2026-01-01T00:00:00.000Z" }]);

    const response = await webhookRoute.POST(
      new Request("https://app.example/api/webhooks/quickbooks", { method: "POST", headers: signed.headers, body: signed.body }),
    );
    expect(response.status).toBe(200);
    const { deliveryId } = (await response.json()) as { deliveryId: string };
    expect((await inbox.listEvents({ deliveryId })).items.map((event) => [event.entityId, event.status])).toEqual([["130", "queued"]]);
    expect(qbo.calls.total).toBe(0);

    const refused = await cronRoute.GET(new Request("https://app.example/api/cron"));
    expect(refused.status).toBe(401);
    const cron = await cronRoute.GET(new Request("https://app.example/api/cron", { headers: { authorization: "Bearer cron-secret" } }));
    expect(cron.status).toBe(200);
    expect(await cron.json()).toMatchObject({ processed: 1, stillDue: false, nextDueAt: null });
    expect((await inbox.listEvents({ deliveryId })).items.map((event) => [event.entityId, event.status])).toEqual([["130", "succeeded"]]);
    expect(qbo.calls.total).toBe(1);
  });

  it("Lambda: an API Gateway event is acknowledged 200 and stored (text and base64 bodies), the scheduled cron processes both", async () => {
    const lambda = await import("../../examples/lambda/handler.ts");
    qbo.records.seed(REALM, "Invoice", ["140", "141"], (id) => ({ DocNumber: `INV-${id}` }));
    const recorded = JSON.parse(readFileSync(new URL("./fixtures/api-gateway-http-api-event.json", import.meta.url), "utf8"));
    const eventFor = (id: string, base64: boolean) => {
      const signed = quickBooksClassicPayload(VERIFIER, [{ realmId: REALM, name: "Invoice", id, lastUpdated: "2026-01-01T00:00:00.000Z" }]);
      return {
        ...recorded,
        headers: { ...recorded.headers, "content-length": String(Buffer.byteLength(signed.body)), "intuit-signature": signed.headers["intuit-signature"] },
        body: base64 ? Buffer.from(signed.body).toString("base64") : signed.body,
        isBase64Encoded: base64,
      };
    };

    const ids: string[] = [];
    for (const [id, base64] of [
      ["140", false],
      ["141", true],
    ] as const) {
      const result = await lambda.webhook(eventFor(id, base64));
      expect(result.statusCode).toBe(200);
      ids.push((JSON.parse(result.body) as { deliveryId: string }).deliveryId);
    }
    const forged = await lambda.webhook({ ...eventFor("142", false), body: eventFor("142", false).body.replace("142", "143") });
    expect(forged.statusCode).toBe(401);
    for (const deliveryId of ids) expect((await lambda.inbox.listEvents({ deliveryId })).items.map((event) => event.status)).toEqual(["queued"]);

    const calls = qbo.calls.total;
    const done = await lambda.cron({ "detail-type": "Scheduled Event", source: "aws.events" }, { getRemainingTimeInMillis: () => 60_000 });
    expect(done).toEqual({ processed: 2, stillDue: false, nextDueAt: null });
    for (const deliveryId of ids) expect((await lambda.inbox.listEvents({ deliveryId })).items.map((event) => event.status)).toEqual(["succeeded"]);
    expect(qbo.calls.total - calls).toBe(1); // both invoices in one batch call
  });
});
