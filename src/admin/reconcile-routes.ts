/** Reconciliation for operators: the run log, starting a run for a tenant, and the count of webhooks we missed. */
import { z } from "zod";
import type { ReconcileRun } from "../contracts/reconciliation-store.ts";
import { requireWritable, type AdminAccess } from "./access.ts";
import type { Route, RouteContext } from "./context.ts";
import { AdminHttpError, json, parseWith, queryObject, readJson } from "./http.ts";

const runsQuery = z.strictObject({
  integration: z.string().min(1).optional(),
  tenantId: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

const startBody = z.strictObject({
  integration: z.string().min(1),
  /** Without it, every tenant of the integration. */
  tenantId: z.string().min(1).optional(),
});

function visible(run: ReconcileRun, access: AdminAccess): boolean {
  return access.tenants === null || access.tenants.includes(run.tenantId);
}

async function listRuns({ inbox, url, access }: RouteContext): Promise<Response> {
  const query = parseWith(runsQuery, queryObject(url), "query");
  if (!inbox.listReconcileRuns) return json(200, { items: [], missed: 0 });
  const filter = {
    ...(query.integration ? { integration: query.integration } : {}),
    ...(query.tenantId ? { tenantId: query.tenantId } : {}),
    limit: query.limit ?? 50,
  };
  const items = (await inbox.listReconcileRuns(filter)).filter((run) => visible(run, access));
  return json(200, { items, missed: items.reduce((sum, run) => sum + run.new, 0) });
}

async function startRun({ inbox, request, access }: RouteContext): Promise<Response> {
  requireWritable(access);
  const body = parseWith(startBody, await readJson(request, { required: true }), "body");
  if (access.tenants !== null && (body.tenantId === undefined || !access.tenants.includes(body.tenantId))) {
    throw new AdminHttpError(403, "FORBIDDEN", "a caller restricted to some tenants may reconcile only one of them (give tenantId)");
  }
  if (!inbox.reconcile) throw new AdminHttpError(400, "CONFIG_INVALID", "this inbox does not reconcile");
  const runs = await inbox.reconcile(
    body.tenantId === undefined ? { integration: body.integration } : { integration: body.integration, tenantId: body.tenantId },
  );
  return json(200, { items: runs });
}

/** Reconciliation routes, relative to `api/`. */
export const reconcileRoutes: readonly Route[] = [
  {
    method: "GET",
    pattern: "reconcile/runs",
    handler: listRuns,
    query: runsQuery,
    summary: 'The reconciliation run log, newest first, and how many changes those runs found that no webhook had brought ("webhooks we missed").',
    response:
      "`{ items, missed }`: each run `{ id, integration, tenantId, trigger, startedAt, endedAt, status, resumeAt, windows, found, alreadyApplied, new, calls, deliveryIds, notes, error }` (`windows`: `{ entityType, from, to, path, found, calls }`, `path` `cdc`, `query` or `modified-since`); `missed` sums `new` over the listed runs. Events a run created are listed by `GET events?deliveryId=` with each of its `deliveryIds`.",
  },
  {
    method: "POST",
    pattern: "reconcile/runs",
    handler: startRun,
    body: startBody,
    summary: "Starts reconciliation now for one tenant (or every tenant of the integration) and answers once its changes are stored as events.",
    response:
      "`{ items }`: the runs, ended (`succeeded`, `deferred` with `resumeAt` when the budget share said wait, or `failed`); a tenant another instance is reconciling is left out.",
    errors: [
      { status: 403, code: "FORBIDDEN", when: "the caller is read-only, or restricted to some tenants and names none of them" },
      { status: 400, code: "CONFIG_INVALID", when: "the inbox has no integration with a `reconcile` option" },
    ],
  },
];
