/**
 * The Fetch handler on a plain node:http server (the bridge of examples/fetch-handler): a body refused
 * early as too large must not leave the keep-alive connection unusable for the next request.
 */
import { Agent, createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore, createFetchHandler, createWebhookInbox } from "webhook-inbox";
import { testProvider, testWebhook } from "webhook-inbox/testing";
import { silentLogger } from "./support.ts";

const SECRET = "keep-alive-secret";
const MAX_BODY_BYTES = 4096;

let server: Server | undefined;
let agent: Agent | undefined;
afterEach(async () => {
  agent?.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  agent = undefined;
});

async function startBridge(): Promise<{ url: string; inbox: ReturnType<typeof createWebhookInbox> }> {
  const inbox = createWebhookInbox({
    store: new MemoryStore(),
    integrations: { test: { provider: testProvider({ secret: SECRET }) } },
    handler: async () => {},
    maxBodyBytes: MAX_BODY_BYTES,
    logger: silentLogger,
  });
  const handle = createFetchHandler(inbox, { integration: "test", logger: silentLogger });
  server = createServer(async (req, res) => {
    const request = new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
      method: req.method ?? "GET",
      headers: req.headers as Record<string, string>,
      ...(req.method === "GET" || req.method === "HEAD" ? {} : { body: Readable.toWeb(req) as ReadableStream, duplex: "half" }),
    } as RequestInit);
    const response = await handle(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/`, inbox };
}

interface Sent {
  readonly status: number;
  readonly body: string;
}

/** One POST through `agent`; a body given as chunks is sent chunked (no content-length). */
function send(url: string, headers: Record<string, string>, body: string | string[]): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const chunked = Array.isArray(body);
    const request = httpRequest(url, {
      method: "POST",
      agent,
      headers: chunked ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) },
    });
    request.on("error", reject);
    request.on("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    if (chunked) {
      // Written as the server reads, so the server refuses the body while it is still arriving.
      for (const chunk of body) request.write(chunk);
      request.end();
    } else {
      request.end(body);
    }
  });
}

describe("Fetch handler on node:http with a keep-alive client", () => {
  const big = "x".repeat(MAX_BODY_BYTES * 16);

  it.each([
    ["declared over the cap (content-length)", big],
    ["streamed past the cap (chunked)", Array.from({ length: 64 }, () => "x".repeat(1024))],
  ] as const)("after a 413 for a body %s, the next request on the same agent is answered", async (_name, tooLarge) => {
    const { url, inbox } = await startBridge();
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await send(url, { "content-type": "application/json" }, tooLarge as string | string[]);
    expect(first.status).toBe(413);
    const webhook = testWebhook(SECRET, [{ tenantId: "t1", entityType: "invoice", entityId: "inv-1", occurredAt: new Date().toISOString() }], "evt-after-413");
    const second = await send(url, webhook.headers, webhook.body);
    expect(second.status).toBe(202);
    const deliveries = (await inbox.listDeliveries()).items.map((delivery) => delivery.status).sort();
    expect(deliveries).toEqual(["accepted", "rejected"]);
  });
});
