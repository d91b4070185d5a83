/**
 * @module webhook-inbox/express
 * Express middleware (Express 4 and 5): hands the exact body bytes, the method and the headers to
 * `inbox.receive()` and writes back what it returns. It decides nothing itself.
 *
 * Mount it with `app.all(...)` (so a GET reaches the inbox and is answered 405) and **before**
 * `express.json()`, or give it the bytes: `express.raw({ type: "*\/*" })` on its path, or
 * `express.json({ verify: (req, _res, buf) => { req.rawBody = buf } })`.
 *
 * @example
 * ```ts
 * import express from "express";
 * import { createExpressMiddleware } from "webhook-inbox/express";
 * const app = express();
 * app.all("/webhooks/:integration", createExpressMiddleware(inbox, { param: "integration" }));
 * app.use(express.json()); // the host's own routes, after the webhook route
 * ```
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { consoleLogger, type Logger, type ReceiveResult, type WebhookReceiver } from "../../src/index.ts";
import { loggerSchema, validateOptions, webhookReceiverSchema } from "../../src/adapter-kit/index.ts";
import { readNodeBody } from "./read-node-body.ts";

/** Options of `createExpressMiddleware()`: give exactly one of `integration` and `param`. */
export interface ExpressMiddlewareOptions {
  /** The integration every request on this route belongs to (one route per integration). */
  integration?: string;
  /** Name of the route parameter that holds the integration id (`"integration"` for `/webhooks/:integration`). */
  param?: string;
  /** Where the one-time misconfiguration error goes. @default consoleLogger (console.error) */
  logger?: Logger;
}

/** The request as Express hands it over, typed against `node:http` so `@types/express` is not needed. */
export type ExpressLikeRequest = IncomingMessage & {
  params?: Record<string, string | undefined>;
  /** Set by a body parser. A `Buffer` (`express.raw()`) is used as the raw body. */
  body?: unknown;
  /** Set by a parser's `verify` hook (`req.rawBody = buf`); used when it is bytes. */
  rawBody?: unknown;
};

/** An Express request handler; it always ends the response and never calls `next`. */
export type ExpressWebhookMiddleware = (request: ExpressLikeRequest, response: ServerResponse) => void;

const optionsSchema = z
  .strictObject({
    integration: z.string().min(1, { error: "must be a non-empty integration id" }).optional(),
    param: z.string().min(1, { error: 'must be a route parameter name, e.g. "integration"' }).optional(),
    logger: loggerSchema.optional(),
  })
  .refine((options) => (options.integration === undefined) !== (options.param === undefined), {
    error: "give exactly one of integration (one route per integration) and param (the integration as a route parameter)",
    path: ["integration"],
  });

/** Said once per middleware, and sent in the 500 body, when a parser consumed the body first. */
export const EXPRESS_BODY_CONSUMED_MESSAGE =
  "webhook-inbox: the request body was already consumed by another body parser (e.g. express.json()), so the webhook " +
  "signature cannot be checked against the exact bytes. Fix: mount webhook-inbox before express.json(), or use " +
  "express.raw({ type: '*/*' }) for this path (or express.json({ verify: (req, _res, buf) => { req.rawBody = buf } })).";

/**
 * Creates the Express middleware for one route per integration (`{ integration }`) or one route for
 * all of them (`{ param }`). The body is read from the stream, capped at `inbox.maxBodyBytes` (past
 * it the inbox answers 413), or taken from `req.rawBody` / a `Buffer` `req.body` when a raw parser ran.
 * If a JSON parser already consumed the body it answers 500 with the fix and logs it once, rather
 * than a 401 on every webhook. It never calls `next(error)`: nothing reaches the host's error handler.
 */
export function createExpressMiddleware(inbox: WebhookReceiver, options: ExpressMiddlewareOptions): ExpressWebhookMiddleware {
  const receiver = validateOptions(webhookReceiverSchema, inbox, "createExpressMiddleware(inbox)");
  const resolved = validateOptions(optionsSchema, options, "createExpressMiddleware() options");
  const logger = resolved.logger ?? consoleLogger;
  const reported = new Set<string>();
  // Loud, but once per cause: a misconfigured mount would otherwise flood the log on every delivery.
  const misconfigured = (response: ServerResponse, code: string, message: string) => {
    if (!reported.has(code)) logger.error(message);
    reported.add(code);
    write(response, { status: 500, headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify({ error: code, message }) });
  };

  const handle = async (request: ExpressLikeRequest, response: ServerResponse): Promise<void> => {
    const integration = resolved.integration ?? request.params?.[resolved.param!];
    if (integration === undefined) {
      const message = `webhook-inbox: the route has no :${resolved.param} parameter. Mount the middleware on a path like "/webhooks/:${resolved.param}", or pass { integration } instead of { param }.`;
      return misconfigured(response, "ROUTE_PARAM_MISSING", message);
    }
    const given = bytesOf(request.rawBody) ?? bytesOf(request.body);
    let rawBody: Uint8Array;
    let truncated = false;
    if (given) {
      rawBody = given;
    } else if (bodyConsumed(request)) {
      // Loud once in the host's log; every such request is still logged as a delivery by the inbox.
      if (!reported.has("BODY_ALREADY_PARSED")) logger.error(EXPRESS_BODY_CONSUMED_MESSAGE);
      reported.add("BODY_ALREADY_PARSED");
      const unread = { cause: "consumed", code: "BODY_ALREADY_PARSED", message: EXPRESS_BODY_CONSUMED_MESSAGE } as const;
      return write(
        response,
        await receiver.receive({ integration, rawBody: new Uint8Array(), headers: request.headers, method: request.method ?? "POST", unread }),
      );
    } else {
      const read = await readNodeBody(request, receiver.maxBodyBytes);
      if (read.kind === "failed") {
        // The client went away mid-upload: there are no bytes to verify and nobody to answer, but the request is logged.
        const unread = {
          cause: "broken",
          code: "CLIENT_DISCONNECTED",
          message: `the client closed the connection after ${read.receivedBytes} body bytes`,
        } as const;
        await receiver.receive({ integration, rawBody: new Uint8Array(), headers: request.headers, method: request.method ?? "POST", unread });
        return void response.destroy();
      }
      ({ rawBody, truncated } = read);
    }
    const result = await receiver.receive({ integration, rawBody, headers: request.headers, method: request.method ?? "POST", truncated });
    // The rest of an oversized upload is not worth reading: close the connection after the answer.
    if (truncated) response.shouldKeepAlive = false;
    write(response, result);
  };

  return (request, response) => {
    handle(request, response).catch((error: unknown) => {
      // receive() never throws; this guards the host against a bug here, without reaching its error handler.
      logger.error("webhook-inbox: the Express middleware failed", { error: error instanceof Error ? error.message : String(error) });
      if (!response.headersSent) write(response, { status: 500, headers: {}, body: "" });
      else response.destroy();
    });
  };
}

/** Writes exactly what `receive()` returned. */
function write(response: ServerResponse, result: ReceiveResult): void {
  if (response.headersSent || response.destroyed) return;
  response.statusCode = result.status;
  for (const [name, value] of Object.entries(result.headers)) response.setHeader(name, value);
  if (result.body === "") response.end();
  else response.end(result.body);
}

function bytesOf(value: unknown): Uint8Array | undefined {
  return value instanceof Uint8Array ? value : undefined;
}

/**
 * True when something already read the stream: body-parser marks `req._body`, and a stream that was
 * read or ended has no bytes left for us. Checking the stream (not `req.body`) matters: Express 4's
 * parsers set `req.body = {}` even when they skip a request, and those requests are still unread.
 */
function bodyConsumed(request: ExpressLikeRequest): boolean {
  return (request as { _body?: unknown })._body === true || request.readableDidRead || request.readableEnded;
}
export * from "./admin.ts";
