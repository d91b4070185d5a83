import type { z } from "zod";
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
> &
  Partial<Pick<WebhookProcessor, "rateLimits" | "readRateLimits" | "getSettings" | "listReconcileRuns" | "reconcile">>;

/** What a route handler gets. */
export interface RouteContext {
  readonly inbox: AdminInbox;
  readonly request: Request;
  readonly url: URL;
  /** Path parameters by name (`:id`). */
  readonly params: Readonly<Record<string, string>>;
  readonly access: AdminAccess;
  /** Where each integration's webhooks are received (`webhookUrls` option), for the empty state. */
  readonly webhookUrls: Readonly<Record<string, string>>;
}

export type RouteHandler = (context: RouteContext) => Promise<Response>;

/** An error a route may answer, beyond those every route shares (docs/admin-api.md lists both). */
export interface RouteError {
  readonly status: number;
  readonly code: string;
  readonly when: string;
}

/**
 * One API route: `pattern` is relative to `${basePath}/api/`, with `:name` segments. The schemas and
 * texts are what docs/admin-api.md is generated from (scripts/admin-api-docs.ts).
 */
export interface Route {
  readonly method: "GET" | "POST" | "PUT";
  readonly pattern: string;
  readonly handler: RouteHandler;
  /** One sentence: what the route does. */
  readonly summary: string;
  /** The query string's schema (GET routes). */
  readonly query?: z.ZodType;
  /** The JSON body's schema, or its alternative shapes. */
  readonly body?: z.ZodType | readonly z.ZodType[];
  /** What a success answers. */
  readonly response: string;
  readonly errors?: readonly RouteError[];
  /** More to say (confirmation rules, scoping). */
  readonly notes?: string;
}
