/**
 * The Fetch API handler (`Request` → `Response`) on a plain node:http server. The same handler serves
 * Hono (`app.post("/webhooks/:integration", (c) => handle(c.req.raw))`), Next.js route handlers
 * (`export const POST = handle`), Bun and Deno.
 *
 * Run: npx tsx examples/fetch-handler/index.ts   then POST signed QuickBooks webhooks to
 * http://127.0.0.1:3002/webhooks/quickbooks
 */
import { createServer } from "node:http";
import { Readable } from "node:stream";
import { MemoryStore, createFetchHandler, createWebhookInbox } from "webhook-inbox";
import { quickbooks } from "webhook-inbox/quickbooks";

const inbox = createWebhookInbox({
  store: new MemoryStore(),
  integrations: {
    quickbooks: {
      provider: quickbooks({
        verifierToken: process.env.QBO_VERIFIER_TOKEN ?? "your-verifier-token",
        getAccessToken: async () => process.env.QBO_ACCESS_TOKEN ?? "your-access-token",
      }),
    },
  },
  handler: async (event) => {
    console.log(`${event.entityType} ${event.entityId} ${event.operation}`, event.resource);
  },
});
const handle = createFetchHandler(inbox, { integrationFromPath: (url) => /^\/webhooks\/([^/]+)$/.exec(url.pathname)?.[1] });

const server = createServer(async (req, res) => {
  // node:http → Request: stream the body through untouched, so the signature is checked on the exact bytes.
  const request = new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
    method: req.method ?? "GET",
    headers: req.headers as Record<string, string>,
    ...(req.method === "GET" || req.method === "HEAD" ? {} : { body: Readable.toWeb(req) as ReadableStream, duplex: "half" }),
  } as RequestInit);
  const response = await handle(request);
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});

await inbox.start();
server.listen(3002, "127.0.0.1", () => console.log("Fetch handler listening on http://127.0.0.1:3002/webhooks/:integration"));
process.once("SIGINT", async () => {
  server.close();
  await inbox.stop();
});
