// The Fetch API adapter: a Web Request handed to receive(), its answer as a Response.
import { z } from "zod";
import { type Logger, consoleLogger } from "./events.ts";
import type { UnreadBody } from "./receive-input.ts";
import { validateOptions } from "./validate-options.ts";
import { readCappedBody, webBodySource } from "./capped-body.ts";
import { loggerSchema, webhookReceiverSchema } from "./option-schemas.ts";
import type { WebhookReceiver } from "./webhook-receiver.ts";

export type { WebhookReceiver } from "./webhook-receiver.ts";

/** Options of `createFetchHandler()`: give exactly one of `integration` and `integrationFromPath`. */
export interface FetchHandlerOptions {
  /** The integration every request to this handler belongs to (one route per integration). */
  integration?: string;
  /** Picks the integration from the request URL (one route for all); `undefined` is answered 404 by the inbox. */
  integrationFromPath?: (url: URL) => string | undefined;
  /** Where the one-time "body already read" error goes. @default consoleLogger */
  logger?: Logger;
}

const fetchHandlerOptionsSchema = z
  .strictObject({
    integration: z.string().min(1, { error: "must be a non-empty integration id" }).optional(),
    integrationFromPath: z
      .custom<(url: URL) => string | undefined>((value) => typeof value === "function", {
        error: "must be a function (url: URL) => string | undefined",
      })
      .optional(),
    logger: loggerSchema.optional(),
  })
  .refine((options) => (options.integration === undefined) !== (options.integrationFromPath === undefined), {
    error: "give exactly one of integration and integrationFromPath",
    path: ["integration"],
  });

/**
 * Creates a Fetch API handler (`Request` → `Response`) for Hono, Next.js route handlers, Bun, Deno
 * and any other runtime with Web requests. It hands the exact body bytes, the method and the headers
 * to `inbox.receive()` and answers with exactly what that returns: no cookies, no extra body.
 *
 * @example
 * ```ts
 * const handle = createFetchHandler(inbox, { integrationFromPath: (url) => url.pathname.split("/").pop() });
 * export const POST = handle; // Next.js: app/webhooks/[integration]/route.ts
 * ```
 */
export function createFetchHandler(inbox: WebhookReceiver, options: FetchHandlerOptions): (request: Request) => Promise<Response> {
  const receiver = validateOptions(webhookReceiverSchema, inbox, "createFetchHandler(inbox)");
  const resolved = validateOptions(fetchHandlerOptionsSchema, options, "createFetchHandler() options");
  const logger = resolved.logger ?? consoleLogger;
  let warned = false;
  return async (request) => {
    const integration = resolved.integration ?? resolved.integrationFromPath?.(new URL(request.url)) ?? "";
    const refuse = async (unread: UnreadBody) => {
      const result = await receiver.receive({ integration, rawBody: new Uint8Array(), headers: headerRecord(request.headers), method: request.method, unread });
      return new Response(result.body === "" ? null : result.body, { status: result.status, headers: result.headers });
    };
    if (request.bodyUsed) {
      // Someone read the body first (e.g. Hono's c.req.json()): the exact bytes are gone, so every
      // signature check would fail. Say so once, loudly, instead of answering 401 forever; the inbox logs each one.
      if (!warned) logger.error(BODY_USED_MESSAGE);
      warned = true;
      return refuse({ cause: "consumed", code: "BODY_ALREADY_READ", message: BODY_USED_MESSAGE });
    }
    const body = await readCappedBody(webBodySource(request.body, request.headers.get("content-length")), receiver.maxBodyBytes);
    if (body.kind === "failed") {
      // The client went away or sent a broken body: nothing to verify and likely nobody to answer, but it is logged.
      const reason = body.cause instanceof Error ? body.cause.message : String(body.cause);
      return refuse({ cause: "broken", code: "CLIENT_DISCONNECTED", message: `the body could not be read: ${reason}` });
    }
    const result = await receiver.receive({
      integration,
      rawBody: body.rawBody,
      // A plain record: a Headers object from another realm (a polyfill, a test runner) would not pass `instanceof`.
      headers: headerRecord(request.headers),
      method: request.method,
      truncated: body.truncated,
    });
    // A refused body was left unread on the connection: keeping it alive would make the next request on
    // it wait for bytes that never come (node:http resets it after its timeout). Close it after this answer.
    const headers = body.truncated ? { ...result.headers, connection: "close" } : result.headers;
    return new Response(result.body === "" ? null : result.body, { status: result.status, headers });
  };
}

const BODY_USED_MESSAGE =
  "webhook-inbox: the request body was already read before the webhook handler ran, so its signature cannot be checked. " +
  "Pass the untouched Request (in Hono: c.req.raw, before any c.req.json() or c.req.text()).";

function headerRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}
