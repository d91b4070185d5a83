/**
 * @module webhook-inbox/fastify
 * Fastify 5 plugin: one route that hands the exact body bytes, the method and the headers to
 * `inbox.receive()` and writes back what it returns. It decides nothing itself.
 *
 * The plugin is encapsulated: its raw-bytes content-type parsers (and its body limit, which is
 * `inbox.maxBodyBytes`) apply to its own route only, so the host's other routes keep Fastify's JSON
 * parsing.
 *
 * @example
 * ```ts
 * import Fastify from "fastify";
 * import { fastifyWebhookInbox } from "webhook-inbox/fastify";
 * const app = Fastify();
 * await app.register(fastifyWebhookInbox, { inbox }); // POST /webhooks/:integration
 * ```
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { encapsulatedPlugin } from "./plugin-meta.ts";
import { z } from "zod";
import type { ReceiveResult, WebhookReceiver } from "../../src/index.ts";
import { validateOptions, webhookReceiverSchema } from "../../src/adapter-kit/index.ts";

/** Options of the `fastifyWebhookInbox` plugin. */
export interface FastifyWebhookInboxOptions {
  /** The inbox (`createWebhookInbox({ ... })`). */
  inbox: WebhookReceiver;
  /**
   * Route path. With `:integration` in it, that parameter names the integration (one route for all).
   * @default "/webhooks/:integration", or `/webhooks/<integration>` when `integration` is given
   */
  path?: string;
  /** The integration every request on this route belongs to (one route per integration). */
  integration?: string;
  /** Fastify's own register options, passed through by Fastify. */
  prefix?: string;
  logLevel?: string;
}

const optionsSchema = z
  .strictObject({
    inbox: webhookReceiverSchema,
    path: z.string().startsWith("/", { error: 'must start with "/"' }).optional(),
    integration: z.string().min(1, { error: "must be a non-empty integration id" }).optional(),
    prefix: z.string().optional(),
    logLevel: z.string().optional(),
  })
  .refine((options) => options.integration !== undefined || options.path === undefined || options.path.includes(":integration"), {
    error: "a path without :integration needs the integration option",
    path: ["path"],
  });

/** Content types the plugin reads as raw bytes; every other type reaches the inbox too (which answers 415). */
const RAW_TYPES = ["application/json", "application/cloudevents+json"];

const plugin: FastifyPluginAsync<FastifyWebhookInboxOptions> = async (app, options) => {
  const { inbox, integration, path } = parseOptions(options);
  const keepBytes = (_request: FastifyRequest, body: Buffer, done: (error: Error | null, body?: Buffer) => void) => done(null, body);
  // This scope only (encapsulated): the host's JSON parser elsewhere is untouched.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(RAW_TYPES, { parseAs: "buffer", bodyLimit: inbox.maxBodyBytes }, keepBytes);
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: inbox.maxBodyBytes }, keepBytes);

  const integrationOf = (request: FastifyRequest) => integration ?? (request.params as Record<string, string | undefined>).integration ?? "";

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    // Fastify refused the body before our handler ran. The inbox still decides the answer and logs the
    // request as a delivery: over the limit is 413, a content type Fastify cannot read is the inbox's 415.
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE" || error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      const truncated = error.code === "FST_ERR_CTP_BODY_TOO_LARGE";
      const result = await inbox.receive({
        integration: integrationOf(request),
        rawBody: new Uint8Array(),
        headers: request.headers,
        method: request.method,
        truncated,
      });
      return send(reply, result);
    }
    // Transport trouble (a client gone mid-upload, a body shorter than its content-length): no bytes to
    // verify, and often nobody left to answer, but the request is logged as a delivery with the reason.
    const code =
      error.code === "ECONNRESET" || error.code === "ECONNABORTED" || /aborted/i.test(error.message)
        ? "CLIENT_DISCONNECTED"
        : (error.code ?? "REQUEST_INVALID");
    const unread = { cause: "broken", code, message: error.message } as const;
    const result = await inbox.receive({
      integration: integrationOf(request),
      rawBody: new Uint8Array(),
      headers: request.headers,
      method: request.method,
      unread,
    });
    return send(reply, result);
  });

  app.all(path, async (request, reply) => {
    const rawBody = request.body instanceof Uint8Array ? request.body : new Uint8Array();
    const result = await inbox.receive({ integration: integrationOf(request), rawBody, headers: request.headers, method: request.method });
    return send(reply, result);
  });
};

/** Writes exactly what `receive()` returned; an empty body stays empty (Xero's intent to receive checks it). */
function send(reply: FastifyReply, result: ReceiveResult): FastifyReply {
  reply.code(result.status).headers(result.headers);
  return result.body === "" ? reply.send() : reply.send(result.body);
}

function parseOptions(input: unknown): { inbox: WebhookReceiver; integration: string | undefined; path: string } {
  const options = validateOptions(optionsSchema, input, "fastifyWebhookInbox options");
  const { inbox, integration } = options;
  const path = options.path ?? (integration === undefined ? "/webhooks/:integration" : `/webhooks/${encodeURIComponent(integration)}`);
  return { inbox, integration, path };
}

/**
 * The webhook-inbox Fastify plugin. Register it once per route: once with the default
 * `/webhooks/:integration`, or once per integration with `{ integration, path }`.
 */
export const fastifyWebhookInbox: FastifyPluginAsync<FastifyWebhookInboxOptions> =
  // Keep the name and version check but stay a child context: the parsers above must not leak to the host.
  encapsulatedPlugin(plugin, "webhook-inbox");

export * from "./admin.ts";
