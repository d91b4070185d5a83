import { isUnrestricted, requireWritable, type AdminAccess } from "./access.ts";
import type { AdminInbox, Route, RouteContext } from "./context.ts";
import { AdminHttpError, json, parseWith, readJson } from "./http.ts";
import { modeBody, pathId, serviceBody } from "./schemas.ts";

function settings(inbox: AdminInbox, access: AdminAccess) {
  return {
    serviceEnabled: inbox.serviceEnabled,
    integrations: inbox.listIntegrations(),
    access: { tenants: access.tenants, readOnly: access.readOnly === true, canRetry: access.readOnly !== true, canChangeSettings: isUnrestricted(access) },
  };
}

/** Settings are inbox-wide: a caller restricted to some tenants may read them, never change them. */
function requireUnrestricted(access: AdminAccess): void {
  requireWritable(access);
  if (!isUnrestricted(access)) {
    throw new AdminHttpError(403, "FORBIDDEN", "settings apply to every tenant; a tenant-restricted caller may not change them");
  }
}

async function getSettings({ inbox, access }: RouteContext): Promise<Response> {
  return json(200, settings(inbox, access));
}

async function putService({ inbox, request, access }: RouteContext): Promise<Response> {
  requireUnrestricted(access);
  const { enabled } = parseWith(serviceBody, await readJson(request, { required: true }), "body");
  inbox.setServiceEnabled(enabled);
  return json(200, settings(inbox, access));
}

async function putMode({ inbox, request, access, params }: RouteContext): Promise<Response> {
  requireUnrestricted(access);
  const id = parseWith(pathId, params.id, "path", "id");
  const { mode } = parseWith(modeBody, await readJson(request, { required: true }), "body");
  if (!inbox.listIntegrations().some((integration) => integration.id === id)) {
    throw new AdminHttpError(404, "INTEGRATION_UNKNOWN", `no integration ${JSON.stringify(id)}`);
  }
  inbox.setMode(id, mode);
  return json(200, settings(inbox, access));
}

/** Settings routes, relative to `api/`. The changes apply to this process's inbox. */
export const settingsRoutes: readonly Route[] = [
  { method: "GET", pattern: "settings", handler: getSettings },
  { method: "PUT", pattern: "settings/service", handler: putService },
  { method: "PUT", pattern: "settings/integrations/:id", handler: putMode },
];
