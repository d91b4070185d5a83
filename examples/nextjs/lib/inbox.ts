/**
 * The inbox of a Next.js (App Router) app with no resident worker: the webhook route stores and
 * acknowledges, the cron route processes what is due. One instance per server process (a warm
 * function reuses it). It is never started, so nothing keeps running between requests; the pool's
 * idle connections are unref'd (allowExitOnIdle) and reused by the next invocation.
 */
import pg from "pg";
import { createWebhookInbox } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";
import { quickbooks } from "webhook-inbox/quickbooks";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 3, allowExitOnIdle: true });

export const inbox = createWebhookInbox({
  store: new PostgresStore({ pool, schema: process.env.WEBHOOK_INBOX_SCHEMA ?? "webhook_inbox" }),
  integrations: {
    quickbooks: {
      provider: quickbooks({
        verifierToken: process.env.QBO_VERIFIER_TOKEN ?? "your-verifier-token",
        getAccessToken: async () => process.env.QBO_ACCESS_TOKEN ?? "your-access-token",
        ...(process.env.QBO_BASE_URL ? { baseUrl: process.env.QBO_BASE_URL } : {}),
      }),
      // Stored and acknowledged in the request; the cron route processes it.
      mode: "immediate",
    },
  },
  handler: async (event) => {
    console.log(`${event.entityType} ${event.entityId} ${event.operation}`);
  },
});
