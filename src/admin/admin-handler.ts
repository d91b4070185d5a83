import { z } from "zod";
import { WebhookConfigError, describeError } from "../errors.ts";
import { validateOptions } from "../validate-options.ts";
import { type AdminAuthorize, resolveAccess } from "./access.ts";
import { DASHBOARD_CSP, dashboardAsset } from "./assets/index.ts";
import type { AdminInbox, Route } from "./context.ts";
import { deliveryRoutes } from "./delivery-routes.ts";
import { eventRoutes } from "./event-routes.ts";
import { AdminHttpError, errorBody, errorResponse, json, text } from "./http.ts";
import { matchRoute } from "./router.ts";
import { limitRoutes } from "./limit-routes.ts";
import { reconcileRoutes } from "./reconcile-routes.ts";
import { settingsRoutes } from "./settings-routes.ts";

/** A Fetch API handler: Hono, Next.js route handlers, Bun, Deno, or the Express/Fastify mounts. */
export type AdminFetchHandler = (request: Request) => Promise<Response>;

export interface AdminHandlerOptions {
  /**
   * Required. Called with every request (API, page and assets); answer `false` to refuse, `true`
   * for full access, or `{ tenants }` to restrict the caller to those provider tenants (read and
   * retry only; settings stay read-only for them).
   */
  authorize: AdminAuthorize;
  /**
   * Path the admin is served under, e.g. "/admin": the page is `${basePath}/`, the API
   * `${basePath}/api/...`. Requests outside it get 404. @default ""
   */
  basePath?: string;
  /** Told about unexpected failures (answered 500 without details). @default logs the message with console.error */
  onError?: (error: unknown) => void;
  /**
   * A `WWW-Authenticate` value sent with every 401, so a browser shows its login prompt
   * (`httpBasic(...)` provides it). @default none
   */
  challenge?: string;
  /**
   * The public URL of each integration's webhook endpoint (integration id → URL). A fresh install's
   * dashboard shows them, saying where to point each provider. @default none (the page explains)
   */
  webhookUrls?: Record<string, string>;
}

const isFunction = (value: unknown): value is (...args: never[]) => unknown => typeof value === "function";

const optionsSchema = z.strictObject({
  authorize: z.custom<AdminAuthorize>(isFunction, {
    error: "authorize is required: a function (request) => boolean | { tenants } that decides who may use the admin",
  }),
  basePath: z
    .string()
    .regex(/^(\/[^/?#]+)*\/?$/, { error: 'basePath must be a path such as "/admin" (or "" for the root)' })
    .optional(),
  onError: z.custom<(error: unknown) => void>(isFunction, { error: "onError must be a function" }).optional(),
  webhookUrls: z.record(z.string(), z.string().max(2000)).optional(),
  challenge: z
    .string()
    .regex(/^[^\r\n]+$/, { error: 'challenge must be one header line, e.g. Basic realm="Admin"' })
    .optional(),
});

const INBOX_METHODS = [
  "listEvents",
  "getEvent",
  "countEvents",
  "listDeliveries",
  "getDelivery",
  "retry",
  "retryMany",
  "reprocessDelivery",
  "listIntegrations",
  "setMode",
  "setServiceEnabled",
] as const;

/** Every API route, relative to `${basePath}/api/`. */
export const ADMIN_ROUTES: readonly Route[] = [...eventRoutes, ...deliveryRoutes, ...limitRoutes, ...settingsRoutes, ...reconcileRoutes];

/**
 * The operator's surface as one Fetch handler: a JSON API under `${basePath}/api/` and the dashboard
 * page under `${basePath}/`. Every request goes through `authorize` first; there is no open admin.
 *
 * @example
 * const admin = createAdminHandler(inbox, {
 *   basePath: "/admin",
 *   authorize: async (request) => (await session(request))?.isStaff ?? false,
 * });
 * export default { fetch: (request) => admin(request) };
 */
export function createAdminHandler(inbox: AdminInbox, options: AdminHandlerOptions): AdminFetchHandler {
  if (typeof inbox !== "object" || inbox === null || !INBOX_METHODS.every((method) => isFunction((inbox as unknown as Record<string, unknown>)[method]))) {
    throw new WebhookConfigError("createAdminHandler needs the inbox (createWebhookInbox(...)) as its first argument", [
      { path: "inbox", message: "not a webhook inbox" },
    ]);
  }
  const parsed = validateOptions(optionsSchema, options ?? {}, "createAdminHandler() options");
  const { authorize, challenge } = parsed;
  const webhookUrls = Object.freeze({ ...(parsed.webhookUrls ?? {}) });
  const basePath = (parsed.basePath ?? "").replace(/\/+$/, "");
  const onError = parsed.onError ?? ((error: unknown) => console.error(`webhook-inbox admin: ${describeError(error)}`));

  return async (request: Request): Promise<Response> => {
    try {
      const url = new URL(request.url);
      const path = url.pathname;
      if (path !== basePath && !path.startsWith(`${basePath}/`)) return notFound();
      const rest = path.slice(basePath.length);
      const access = resolveAccess(await authorize(request));
      if (!access) {
        const headers: Record<string, string> = challenge ? { "www-authenticate": challenge } : {};
        return rest.startsWith("/api/")
          ? json(401, errorBody("UNAUTHORIZED", "not authorized to use the webhook admin"), headers)
          : text(401, "Not authorized to use the webhook admin.\n", "text/plain; charset=utf-8", headers);
      }
      // The page loads its assets and API with relative URLs, so it must be served from a path ending in "/".
      if (rest === "") return new Response(null, { status: 308, headers: { location: `${basePath}/${url.search}`, "cache-control": "no-store" } });
      if (rest.startsWith("/api/")) {
        const match = matchRoute(ADMIN_ROUTES, request.method.toUpperCase(), rest.slice("/api/".length));
        if (match.kind === "none") throw new AdminHttpError(404, "NOT_FOUND", `no admin route ${request.method} ${rest}`);
        if (match.kind === "wrong-method") {
          throw new AdminHttpError(405, "METHOD_NOT_ALLOWED", `${request.method} is not allowed here`, {}, { allow: match.allow.join(", ") });
        }
        if (match.match.route.method !== "GET" && request.headers.get("sec-fetch-site") === "cross-site") {
          throw new AdminHttpError(403, "FORBIDDEN", "admin changes are refused from another site");
        }
        return await match.match.route.handler({ inbox, request, url, params: match.match.params, access, webhookUrls });
      }
      if (request.method !== "GET" && request.method !== "HEAD") {
        return text(405, "Method not allowed.\n", "text/plain; charset=utf-8", { allow: "GET, HEAD" });
      }
      const assetName = rest === "/" || rest === "/index.html" ? "index.html" : rest.startsWith("/assets/") ? rest.slice("/assets/".length) : null;
      const asset = assetName === null ? null : await dashboardAsset(assetName);
      if (!asset) return notFound();
      return text(200, asset.body, asset.contentType, {
        "content-security-policy": DASHBOARD_CSP,
        "x-frame-options": "DENY",
        "cross-origin-opener-policy": "same-origin",
      });
    } catch (error) {
      return errorResponse(error, onError);
    }
  };
}

function notFound(): Response {
  return text(404, "Not found.\n", "text/plain; charset=utf-8");
}
