/**
 * Child process of the ingest measurement: one HTTP server variant on 127.0.0.1 (port 0), alone in
 * its process so the load generator (autocannon, in the parent) does not share its event loop and
 * the parent can read this process's CPU from /proc. Every variant serves the QuickBooks path and
 * the Xero path. Arguments: the variant, then (BullMQ) the Redis URL or (PostgreSQL) the
 * application_name its connections carry, so the bench can count those backends' CPU.
 * Protocol: sends `ready { port }`; answers `count` with what it stored and the memory messages of
 * lib/memory-sampler.ts; exits on `stop`.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import Fastify from "fastify";
import type { WebhookProcessor } from "../src/index.ts";
import { fastifyWebhookInbox } from "../adapters/fastify/index.ts";
import { createBenchInbox, DiscardingStore } from "./lib/bench-inbox.ts";
import { fromParent, runChild, toParent, type ChildMessage } from "./lib/child.ts";
import { answerMemoryMessage } from "./lib/memory-sampler.ts";
import { startProfile, stopProfile } from "./lib/profile.ts";
import { INGEST_VARIANTS, type IngestVariant } from "./lib/ingest-variants.ts";
import { QBO_PATH, XERO_PATH } from "./lib/ingest-payloads.ts";
import { openStore, type BenchStore, type StoreKind } from "./lib/stores.ts";
import { QBO_VERIFIER_TOKEN, XERO_WEBHOOK_KEY } from "./lib/workload.ts";

interface Running {
  readonly port: number;
  /** Webhooks stored (events for the inbox, jobs for BullMQ, requests parsed for a bare route). */
  count(): Promise<number>;
  close(): Promise<void>;
}

/** The bench inbox on a fresh store of `kind` (or the store that keeps nothing), started. */
async function inboxFor(
  kind: StoreKind | "discard",
  synchronous: "full" | "normal",
  applicationName: string | undefined,
): Promise<{ inbox: WebhookProcessor; bench: BenchStore }> {
  const bench: BenchStore =
    kind === "discard"
      ? { kind: "memory", store: new DiscardingStore(), dispose: async () => {} }
      : openStore(kind, { synchronous, ...(applicationName ? { applicationName } : {}) });
  const inbox = createBenchInbox(bench.store);
  await inbox.start();
  return { inbox, bench };
}

async function countEvents(inbox: WebhookProcessor): Promise<number> {
  return (await inbox.countEvents()).reduce((sum, row) => sum + row.count, 0);
}

async function start(variant: IngestVariant, argument: string | undefined): Promise<Running> {
  switch (variant) {
    case "fastify-bare": {
      // The limit of the stack: Fastify's own JSON parsing and a 202, nothing stored.
      let parsed = 0;
      const app = Fastify({ logger: false });
      // QuickBooks CloudEvents arrive as application/cloudevents+json: parse them as JSON too.
      app.addContentTypeParser("application/cloudevents+json", { parseAs: "string" }, app.getDefaultJsonParser("ignore", "ignore"));
      for (const path of [QBO_PATH, XERO_PATH]) {
        app.post(path, async (request, reply) => {
          if (request.body !== null && typeof request.body === "object") parsed += 1;
          return reply.code(202).send({ status: "accepted" });
        });
      }
      await app.listen({ port: 0, host: "127.0.0.1" });
      return { port: (app.server.address() as AddressInfo).port, count: async () => parsed, close: () => app.close() };
    }
    case "express-bare": {
      let parsed = 0;
      const { default: express } = await import("express");
      const app = express();
      app.post([QBO_PATH, XERO_PATH], express.json({ type: ["application/json", "application/cloudevents+json"] }), (request, response) => {
        if (request.body !== null && typeof request.body === "object") parsed += 1;
        response.status(202).json({ status: "accepted" });
      });
      const server = app.listen(0, "127.0.0.1") as Server;
      return { port: await listening(server), count: async () => parsed, close: () => closeServer(server) };
    }
    case "fastify-inbox-discard":
    case "fastify-inbox-memory":
    case "fastify-inbox-sqlite":
    case "fastify-inbox-postgres":
    case "fastify-inbox-sqlite-normal": {
      const kind = variant.split("-")[2] as StoreKind | "discard";
      const { inbox, bench } = await inboxFor(kind, variant.endsWith("-normal") ? "normal" : "full", argument);
      const app = Fastify({ logger: false });
      // One route for both integrations: /webhooks/qbo and /webhooks/xero.
      await app.register(fastifyWebhookInbox, { inbox });
      await app.listen({ port: 0, host: "127.0.0.1" });
      return {
        port: (app.server.address() as AddressInfo).port,
        count: () => countEvents(inbox),
        close: async () => {
          await app.close();
          await inbox.stop();
          await bench.dispose();
        },
      };
    }
    case "express-inbox-memory": {
      const { inbox, bench } = await inboxFor("memory", "full", undefined);
      const { default: express } = await import("express");
      const { createExpressMiddleware } = await import("../adapters/express/index.ts");
      const app = express();
      app.all(QBO_PATH, createExpressMiddleware(inbox, { integration: "qbo" }));
      app.all(XERO_PATH, createExpressMiddleware(inbox, { integration: "xero" }));
      const server = app.listen(0, "127.0.0.1") as Server;
      return {
        port: await listening(server),
        count: () => countEvents(inbox),
        close: async () => {
          await closeServer(server);
          await inbox.stop();
          await bench.dispose();
        },
      };
    }
    case "fastify-bullmq": {
      // What a team builds by hand: check the HMAC on the raw bytes, parse, enqueue one job per webhook
      // (no delivery log, no de-duplication, no split into events), 202.
      if (!argument) throw new Error("fastify-bullmq needs the Redis URL as its second argument");
      const [{ Queue }, { Redis }] = await Promise.all([import("bullmq"), import("ioredis")]);
      const connection = new Redis(argument, { maxRetriesPerRequest: null });
      const queue = new Queue(`bench-ingest-${process.pid}`, { connection });
      const app = Fastify({ logger: false });
      app.removeAllContentTypeParsers();
      app.addContentTypeParser(["application/json", "application/cloudevents+json"], { parseAs: "buffer" }, (_request, body, done) => done(null, body));
      const routes = [
        { path: QBO_PATH, header: "intuit-signature", key: Buffer.from(QBO_VERIFIER_TOKEN, "utf8") },
        { path: XERO_PATH, header: "x-xero-signature", key: Buffer.from(XERO_WEBHOOK_KEY, "utf8") },
      ];
      for (const route of routes) {
        app.post(route.path, async (request, reply) => {
          const raw = request.body as Buffer;
          const header = request.headers[route.header];
          const expected = createHmac("sha256", route.key).update(raw).digest();
          const given = typeof header === "string" ? Buffer.from(header, "base64") : Buffer.alloc(0);
          if (given.length !== expected.length || !timingSafeEqual(given, expected)) return reply.code(401).send();
          const payload = JSON.parse(raw.toString("utf8")) as unknown;
          await queue.add("webhook", payload);
          return reply.code(202).send({ status: "accepted" });
        });
      }
      await app.listen({ port: 0, host: "127.0.0.1" });
      return {
        port: (app.server.address() as AddressInfo).port,
        count: () => queue.count(),
        close: async () => {
          await app.close();
          await queue.obliterate({ force: true });
          await queue.close();
          await connection.quit();
        },
      };
    }
  }
}

async function listening(server: Server): Promise<number> {
  if (!server.listening) await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

runChild(async () => {
  const variant = process.argv[2] as IngestVariant;
  if (!INGEST_VARIANTS.includes(variant)) throw new Error(`unknown ingest variant ${variant}`);
  const running = await start(variant, process.argv[3]);
  process.on("message", (raw) => {
    const message = raw as ChildMessage;
    if (answerMemoryMessage(message)) return;
    if (message.type === "profile-start") void startProfile();
    if (message.type === "profile-stop") void stopProfile(`ingest-${variant}`).then(() => toParent({ type: "profiled" }));
    if (message.type !== "count") return;
    running.count().then(
      (stored) => toParent({ type: "count", stored }),
      (error: unknown) => toParent({ type: "error", message: String(error) }),
    );
  });
  toParent({ type: "ready", port: running.port });
  await fromParent("stop");
  await running.close();
  process.disconnect?.();
});
