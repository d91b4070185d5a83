/**
 * PostgreSQL for production and many machines: every app instance receives webhooks and processes
 * events from one shared database. Workers claim due events with FOR UPDATE SKIP LOCKED and a lease,
 * wake each other with LISTEN/NOTIFY, and take over events whose worker died.
 *
 * Run (two terminals, or two machines):
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test PORT=3003 npx tsx examples/postgres-workers/index.ts
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test PORT=3004 npx tsx examples/postgres-workers/index.ts
 */
import express from "express";
import { createWebhookInbox } from "webhook-inbox";
import { createExpressMiddleware } from "webhook-inbox/express";
import { PostgresStore } from "webhook-inbox/postgres";
import { xero } from "webhook-inbox/xero";

const store = new PostgresStore({ connectionString: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test", schema: "webhook_inbox" });
await store.migrate(); // versioned, under an advisory lock: safe when every instance starts at once

const inbox = createWebhookInbox({
  store,
  integrations: {
    xero: {
      provider: xero({ webhookKey: process.env.XERO_WEBHOOK_KEY ?? "your-webhook-key", getAccessToken: async () => process.env.XERO_ACCESS_TOKEN ?? "token" }),
      // Xero allows 60 calls a minute per organisation: gather bursts into batches.
      mode: "delayed",
    },
  },
  // The recommended way with a same-database app: your writes, the staleness watermark and the
  // event's completion commit in one transaction (exactly-once effect).
  transactionalHandler: true,
  handler: async (event, { transaction }) => {
    const client = transaction as { query(text: string, values: unknown[]): Promise<unknown> };
    await client.query("select $1::text as entity, $2::jsonb as data", [event.entityId, JSON.stringify(event.resource)]);
  },
});

const app = express();
// Before any body parser (the signature is checked on the raw bytes), and app.all rather than
// app.post so a GET is answered 405 by the inbox and logged.
app.all("/webhooks/:integration", createExpressMiddleware(inbox, { param: "integration" }));
await inbox.start();
const port = Number(process.env.PORT ?? 3003);
const server = app.listen(port, "127.0.0.1", () => console.log(`worker ${process.pid} on http://127.0.0.1:${port}`));
process.once("SIGINT", async () => {
  server.close();
  await inbox.stop();
  await store.close();
});
