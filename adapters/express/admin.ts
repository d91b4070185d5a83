/**
 * The admin surface (JSON API + dashboard) as Express middleware.
 *
 * @example
 * ```ts
 * import { createExpressAdmin } from "webhook-inbox/express";
 * app.use("/admin/webhooks", createExpressAdmin(inbox, {
 *   // Receives the Fetch API `Request` (cookies and headers), plus Express's own `req` (req.user, req.session ...).
 *   authorize: (request, req) => req.user?.role === "admin" ? true : req.user ? { tenants: req.user.realmIds } : false,
 * }));
 * ```
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { type AdminAccessDecision, type AdminInbox, createAdminHandler } from "../../src/index.ts";
import { validateOptions } from "../../src/adapter-kit/index.ts";
import { readNodeBody } from "./read-node-body.ts";

/**
 * Decides who may use the admin. It is called with a Fetch API `Request` built from the Express
 * request (method, full URL, headers with cookies), and with the Express `req` itself for hosts whose
 * session middleware put the user there. Answer `false`, `true` or `{ tenants }`.
 */
export type ExpressAdminAuthorize = (request: Request, req: ExpressAdminRequest) => AdminAccessDecision | Promise<AdminAccessDecision>;

export interface ExpressAdminOptions {
  /** Required: there is no open admin. */
  authorize: ExpressAdminAuthorize;
  /** Told about unexpected failures (answered 500 without details). @default console.error */
  onError?: (error: unknown) => void;
  /** `WWW-Authenticate` sent with every 401 so browsers prompt for a login (`httpBasic(...)` provides it). */
  challenge?: string;
  /** Each integration's public webhook URL (integration id → URL), shown by a fresh install's dashboard. */
  webhookUrls?: Record<string, string>;
}

/** The request as Express hands it over, typed against `node:http` so `@types/express` is not needed. */
export type ExpressAdminRequest = IncomingMessage & {
  /** Path the middleware is mounted on (`app.use("/admin", ...)` → "/admin"). */
  baseUrl?: string;
  /** The URL before Express stripped the mount path. */
  originalUrl?: string;
  /** Set by a body parser that ran first (express.json()). */
  body?: unknown;
};

/** An Express middleware: it answers every request under its mount path. */
export type ExpressAdminMiddleware = (req: ExpressAdminRequest, res: ServerResponse, next: (error?: unknown) => void) => void;

const optionsSchema = z.strictObject({
  authorize: z.custom<ExpressAdminAuthorize>((value) => typeof value === "function", {
    error: "authorize is required: (request, req) => boolean | { tenants } decides who may use the admin",
  }),
  onError: z.custom<(error: unknown) => void>((value) => typeof value === "function", { error: "must be a function" }).optional(),
  challenge: z.string().optional(),
  webhookUrls: z.record(z.string(), z.string()).optional(),
});

/** Admin bodies are small JSON documents. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Mounts the admin API and dashboard: `app.use("/admin", createExpressAdmin(inbox, { authorize }))`
 * serves the page at `/admin/` and the API at `/admin/api/...`. Throws `WebhookConfigError` without `authorize`.
 */
export function createExpressAdmin(inbox: AdminInbox, options: ExpressAdminOptions): ExpressAdminMiddleware {
  const { authorize, onError, challenge, webhookUrls } = validateOptions(optionsSchema, options ?? {}, "createExpressAdmin() options");
  // The Fetch request → the Express request it was built from, for the host's authorize hook.
  const native = new WeakMap<Request, ExpressAdminRequest>();
  const coreAuthorize = (request: Request) => authorize(request, native.get(request)!);
  // One handler per mount path (the same middleware may be mounted twice).
  const handlers = new Map<string, (request: Request) => Promise<Response>>();
  const handlerFor = (basePath: string) => {
    let handler = handlers.get(basePath);
    if (!handler) {
      handler = createAdminHandler(inbox, {
        authorize: coreAuthorize,
        basePath,
        ...(onError ? { onError } : {}),
        ...(challenge ? { challenge } : {}),
        ...(webhookUrls ? { webhookUrls } : {}),
      });
      handlers.set(basePath, handler);
    }
    return handler;
  };
  // Created once up front so a bad inbox fails at mount time, not on the first request.
  handlerFor("");

  return (req, res, next) => {
    (async () => {
      const body = await requestBody(req);
      if (body === "too-large") {
        res.statusCode = 413;
        res.setHeader("content-type", "application/json; charset=utf-8");
        res.end(JSON.stringify({ error: { code: "PAYLOAD_TOO_LARGE", message: `body larger than ${MAX_BODY_BYTES} bytes` } }));
        return;
      }
      const request = toFetchRequest(req, body);
      native.set(request, req);
      const response = await handlerFor(req.baseUrl ?? "")(request);
      await writeResponse(res, response);
    })().catch(next);
  };
}

async function requestBody(req: ExpressAdminRequest): Promise<Uint8Array | null | "too-large"> {
  const method = (req.method ?? "GET").toUpperCase();
  if (method === "GET" || method === "HEAD") return null;
  // A body parser mounted before the admin already read the stream: use what it produced.
  if (req.body instanceof Uint8Array) return req.body;
  if ((req as { _body?: unknown })._body === true || req.readableEnded) {
    return req.body === undefined ? new Uint8Array() : new TextEncoder().encode(JSON.stringify(req.body));
  }
  const read = await readNodeBody(req, MAX_BODY_BYTES);
  if (read.kind === "failed") throw new Error("the admin request body could not be read");
  return read.truncated ? "too-large" : read.rawBody;
}

function toFetchRequest(req: ExpressAdminRequest, body: Uint8Array | null): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    // The body is handed over whole, so framing headers no longer describe it.
    if (value === undefined || name === "content-length" || name === "transfer-encoding" || name.startsWith(":")) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const host = req.headers.host ?? "localhost";
  const url = new URL(req.originalUrl ?? req.url ?? "/", `${encrypted ? "https" : "http"}://${host}`);
  return new Request(url, { method: req.method ?? "GET", headers, ...(body ? { body: new Uint8Array(body) } : {}) });
}

async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    res.setHeader(name, value);
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  res.end(bytes.byteLength > 0 ? bytes : undefined);
}
