/**
 * The operator's surface: a framework-agnostic Fetch handler serving the admin JSON API and the
 * embedded dashboard. Mounted by `webhook-inbox/express` and `webhook-inbox/fastify`.
 */
export { createAdminHandler, ADMIN_ROUTES } from "./admin-handler.ts";
export type { AdminFetchHandler, AdminHandlerOptions } from "./admin-handler.ts";
export type { AdminAuthorize, AdminAccessDecision } from "./access.ts";
export type { AdminInbox } from "./context.ts";
export type { RawBodyView } from "./raw-body.ts";
export * from "./auth/index.ts";
