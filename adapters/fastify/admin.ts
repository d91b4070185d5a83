/**
 * The admin surface (JSON API + dashboard) as a Fastify 5 plugin.
 *
 * @example
 * ```ts
 * import { fastifyWebhookInboxAdmin } from "webhook-inbox/fastify";
 * await app.register(fastifyWebhookInboxAdmin, {
 *   inbox,
 *   prefix: "/admin",
 *   // Receives the Fetch API `Request` (cookies and headers), plus Fastify's own request.
 *   authorize: async (request, fastifyRequest) => (await isStaff(fastifyRequest)) ? true : false,
 * });
 * ```
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { encapsulatedPlugin } from "./plugin-meta.ts";
import { z } from "zod";
import { type AdminAccessDecision, type AdminInbox, createAdminHandler } from "../../src/index.ts";
import { validateOptions } from "../../src/adapter-kit/index.ts";

/**
 * Decides who may use the admin: called with a Fetch API `Request` (method, full URL, headers with
 * cookies) and Fastify's request. Answer `false`, `true` or `{ tenants }`.
 */
export type FastifyAdminAuthorize = (request: Request, fastifyRequest: FastifyRequest) => AdminAccessDecision | Promise<AdminAccessDecision>;

export interface FastifyWebhookInboxAdminOptions {
  /** The inbox (`createWebhookInbox({ ... })`). */
  inbox: AdminInbox;
  /** Required: there is no open admin. */
  authorize: FastifyAdminAuthorize;
  /** Where the admin lives (Fastify's register option): the page at `${prefix}/`, the API at `${prefix}/api/...`. */
  prefix?: string;
  /** Told about unexpected failures (answered 500 without details). @default console.error */
  onError?: (error: unknown) => void;
  /** `WWW-Authenticate` sent with every 401 so browsers prompt for a login (`httpBasic(...)` provides it). */
  challenge?: string;
  /** Each integration's public webhook URL (integration id → URL), shown by a fresh install's dashboard. */
  webhookUrls?: Record<string, string>;
  logLevel?: string;
}

const isFunction = (value: unknown) => typeof value === "function";

const optionsSchema = z.strictObject({
  inbox: z.custom<AdminInbox>((value) => typeof value === "object" && value !== null, { error: "must be the inbox (createWebhookInbox({ ... }))" }),
  authorize: z.custom<FastifyAdminAuthorize>(isFunction, {
    error: "authorize is required: (request, fastifyRequest) => boolean | { tenants } decides who may use the admin",
  }),
  prefix: z.string().optional(),
  onError: z.custom<(error: unknown) => void>(isFunction, { error: "must be a function" }).optional(),
  challenge: z.string().optional(),
  webhookUrls: z.record(z.string(), z.string()).optional(),
  logLevel: z.string().optional(),
});

/** Admin bodies are small JSON documents. */
const MAX_BODY_BYTES = 64 * 1024;

const plugin: FastifyPluginAsync<FastifyWebhookInboxAdminOptions> = async (app, options) => {
  const { inbox, authorize, onError, challenge, webhookUrls } = validateOptions(optionsSchema, options ?? {}, "fastifyWebhookInboxAdmin options");
  const native = new WeakMap<Request, FastifyRequest>();
  const handler = createAdminHandler(inbox, {
    authorize: (request) => authorize(request, native.get(request)!),
    basePath: app.prefix,
    ...(onError ? { onError } : {}),
    ...(challenge ? { challenge } : {}),
    ...(webhookUrls ? { webhookUrls } : {}),
  });

  // This scope only (encapsulated): bodies reach the core as bytes, which validates them itself.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: MAX_BODY_BYTES }, (_request, body, done) => done(null, body));

  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    const fetchRequest = toFetchRequest(request);
    native.set(fetchRequest, request);
    const response = await handler(fetchRequest);
    reply.code(response.status);
    response.headers.forEach((value, name) => void reply.header(name, value));
    const bytes = Buffer.from(await response.arrayBuffer());
    return bytes.byteLength > 0 ? reply.send(bytes) : reply.send();
  };
  app.all("/", serve);
  app.all("/*", serve);
};

function toFetchRequest(request: FastifyRequest): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name === "content-length" || name === "transfer-encoding" || name.startsWith(":")) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  const url = new URL(request.raw.url ?? request.url, `${request.protocol}://${request.host || "localhost"}`);
  const body = request.body instanceof Uint8Array ? request.body : null;
  const method = request.method.toUpperCase();
  return new Request(url, { method, headers, ...(body && method !== "GET" && method !== "HEAD" ? { body: new Uint8Array(body) } : {}) });
}

/**
 * The webhook-inbox admin plugin: register it with a `prefix` and an `authorize` hook. Without
 * `authorize`, registering fails with `WebhookConfigError`.
 */
export const fastifyWebhookInboxAdmin: FastifyPluginAsync<FastifyWebhookInboxAdminOptions> =
  // A child context: its body parser and routes stay under its prefix.
  encapsulatedPlugin(plugin, "webhook-inbox-admin");
