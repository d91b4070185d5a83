// Which handler runs an event: per integration and entity type, then the integration's "*", then the inbox-wide one.
import type { ResolvedOptions } from "../options.ts";
import type { EventHandler } from "../types.ts";

export function lookupHandler(options: Pick<ResolvedOptions, "handler" | "handlers">, integration: string, entityType: string): EventHandler | undefined {
  // Own keys only: an entity type named "constructor" or "toString" must not find Object's members.
  const handlers = options.handlers;
  const own = handlers && Object.hasOwn(handlers, integration) ? handlers[integration] : undefined;
  if (typeof own === "function") return own;
  const byType = own && Object.hasOwn(own, entityType) ? own[entityType] : own && Object.hasOwn(own, "*") ? own["*"] : undefined;
  return byType ?? options.handler;
}
