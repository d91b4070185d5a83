import type { WebhookProcessor } from "../processor.ts";
import type { AdminAccess } from "./access.ts";

/** The part of the inbox the admin surface uses (a `WebhookProcessor` satisfies it). */
export type AdminInbox = Pick<
  WebhookProcessor,
  | "listEvents"
  | "getEvent"
  | "countEvents"
  | "listDeliveries"
  | "getDelivery"
  | "retry"
  | "retryMany"
  | "reprocessDelivery"
  | "listIntegrations"
  | "setMode"
  | "setServiceEnabled"
  | "serviceEnabled"
>;

/** What a route handler gets. */
export interface RouteContext {
  readonly inbox: AdminInbox;
  readonly request: Request;
  readonly url: URL;
  /** Path parameters by name (`:id`). */
  readonly params: Readonly<Record<string, string>>;
  readonly access: AdminAccess;
}

export type RouteHandler = (context: RouteContext) => Promise<Response>;

/** One API route: `pattern` is relative to `${basePath}/api/`, with `:name` segments. */
export interface Route {
  readonly method: "GET" | "POST" | "PUT";
  readonly pattern: string;
  readonly handler: RouteHandler;
}
