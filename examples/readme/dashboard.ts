// README › Dashboard: mount the admin router behind your own authorization.
import express from "express";
import Fastify from "fastify";
import { createAdminHandler } from "webhook-inbox";
import { createExpressAdmin } from "webhook-inbox/express";
import { fastifyWebhookInboxAdmin } from "webhook-inbox/fastify";
import { inbox } from "./handlers.ts";

// Your own check: a session, a role, an API key. `{ tenants: [...] }` limits a caller to some tenants.
const authorize = (request: Request) => {
  if (request.headers.get("x-admin-key") === process.env.ADMIN_KEY) return true;
  const realm = request.headers.get("x-partner-realm");
  return realm ? { tenants: [realm] } : false;
};

const app = express();
app.use("/admin/webhooks", createExpressAdmin(inbox, { authorize }));

const fastify = Fastify();
await fastify.register(fastifyWebhookInboxAdmin, { inbox, prefix: "/admin/webhooks", authorize });

// Anything that speaks Fetch (Hono, Next.js, Bun): (Request) => Promise<Response>
export const handleAdmin = createAdminHandler(inbox, { authorize, basePath: "/admin/webhooks" });
