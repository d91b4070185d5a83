/**
 * Xero webhooks in a Fastify app: answers Xero's "intent to receive" check (200 / 401, empty
 * bodies), stores each delivery before the empty 200 Xero requires, then processes it a moment later so bursts are
 * downloaded in batches (`IDs=`), within Xero's rate limits.
 *
 *   XERO_WEBHOOK_KEY=... XERO_ACCESS_TOKEN=... npx tsx examples/fastify-xero/index.ts
 *
 * Set the webhook delivery URL (developer.xero.com › your app › Webhooks) to https://<host>/webhooks/xero.
 */
import Fastify from "fastify";
import { MemoryStore, createWebhookInbox } from "webhook-inbox";
import { fastifyWebhookInbox } from "webhook-inbox/fastify";
import { xero } from "webhook-inbox/xero";

const inbox = createWebhookInbox({
  // MemoryStore keeps nothing across restarts: use SqliteStore or PostgresStore in production.
  store: new MemoryStore(),
  integrations: {
    xero: {
      provider: xero({
        // The webhook key exactly as Xero shows it (used as text, not base64-decoded).
        webhookKey: process.env.XERO_WEBHOOK_KEY ?? "development-webhook-key",
        // Your OAuth token store, per organisation (tenant).
        getAccessToken: async (_tenantId) => process.env.XERO_ACCESS_TOKEN ?? "",
      }),
      mode: "delayed",
      delayMs: 2_000,
    },
  },
  handlers: {
    xero: {
      INVOICE: async (event) => console.log(`invoice ${event.entityId} in ${event.tenantId}:`, event.resource),
      // Any other category (CONTACT, CREDITNOTE, ...).
      "*": async (event) => console.log(`${event.entityType} ${event.entityId} in ${event.tenantId}:`, event.resource),
    },
  },
});

const app = Fastify({ logger: true });
// Encapsulated: its raw-body parsers apply to the webhook route only; your routes keep parsed JSON.
await app.register(fastifyWebhookInbox, { inbox }); // POST /webhooks/:integration → /webhooks/xero
app.get("/health", async () => ({ ok: true }));

await inbox.start();
await app.listen({ port: Number(process.env.PORT ?? 3000), host: "0.0.0.0" });

process.once("SIGINT", () => {
  void app.close().then(() => inbox.stop());
});
