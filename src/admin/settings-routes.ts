import { isUnrestricted, requireWritable, type AdminAccess } from "./access.ts";
import type { AdminInbox, Route, RouteContext } from "./context.ts";
import { AdminHttpError, json, parseWith, readJson } from "./http.ts";
import { modeBody, pathId, serviceBody } from "./schemas.ts";

function settings(inbox: AdminInbox, access: AdminAccess, webhookUrls: Readonly<Record<string, string>>) {
  const current = inbox.getSettings?.();
  return {
    serviceEnabled: inbox.serviceEnabled,
    serviceChange: current?.serviceChange ?? null,
    integrations: inbox
      .listIntegrations()
      .map((integration) => ({ ...integration, modeChange: integration.modeChange ?? null, webhookUrl: webhookUrls[integration.id] ?? null })),
    shared: current?.shared ?? false,
    refreshMs: current?.refreshMs ?? null,
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

async function getSettings({ inbox, access, webhookUrls }: RouteContext): Promise<Response> {
  return json(200, settings(inbox, access, webhookUrls));
}

async function putService({ inbox, request, access, webhookUrls }: RouteContext): Promise<Response> {
  requireUnrestricted(access);
  const { enabled } = parseWith(serviceBody, await readJson(request, { required: true }), "body");
  await inbox.setServiceEnabled(enabled, { changedBy: access.actor ?? null });
  return json(200, settings(inbox, access, webhookUrls));
}

async function putMode({ inbox, request, access, params, webhookUrls }: RouteContext): Promise<Response> {
  requireUnrestricted(access);
  const id = parseWith(pathId, params.id, "path", "id");
  const { mode } = parseWith(modeBody, await readJson(request, { required: true }), "body");
  if (!inbox.listIntegrations().some((integration) => integration.id === id)) {
    throw new AdminHttpError(404, "INTEGRATION_UNKNOWN", `no integration ${JSON.stringify(id)}`);
  }
  await inbox.setMode(id, mode, { changedBy: access.actor ?? null });
  return json(200, settings(inbox, access, webhookUrls));
}

const SETTINGS_ANSWER =
  "`{ serviceEnabled, serviceChange, integrations, shared, refreshMs, access }`: each integration with its `mode`, `effectiveMode`, `modeChange` and `webhookUrl` (from the `webhookUrls` option, else `null`); `serviceChange` and `modeChange` are `{ changedAt, changedBy }` (`changedBy` is the `authorize` hook's `actor`) or `null` while the option's value holds; `shared` says whether the settings are stored in the store (every instance follows a change within `refreshMs` ms, and it survives restarts); `access` says what the caller may do (`tenants`, `readOnly`, `canRetry`, `canChangeSettings`).";
const NOT_FOR_RESTRICTED = { status: 403, code: "FORBIDDEN", when: "the caller is restricted to some tenants (settings apply to every tenant)" } as const;

/** Settings routes, relative to `api/`. A change is stored (with the caller's `actor`) and, on a store with `sharedState`, followed by every instance. */
export const settingsRoutes: readonly Route[] = [
  {
    method: "GET",
    pattern: "settings",
    handler: getSettings,
    summary: "The service switch, each integration's mode, and the caller's access.",
    response: SETTINGS_ANSWER,
  },
  {
    method: "PUT",
    pattern: "settings/service",
    handler: putService,
    body: serviceBody,
    summary: "Turns the service switch on or off (off: every integration runs in `direct` mode).",
    response: SETTINGS_ANSWER,
    errors: [NOT_FOR_RESTRICTED],
  },
  {
    method: "PUT",
    pattern: "settings/integrations/:id",
    handler: putMode,
    body: modeBody,
    summary: "Sets an integration's processing mode.",
    response: SETTINGS_ANSWER,
    errors: [NOT_FOR_RESTRICTED, { status: 404, code: "INTEGRATION_UNKNOWN", when: "no integration with this id" }],
  },
];
