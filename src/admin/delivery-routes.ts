import { MAX_PAGE_SIZE } from "../filters.ts";
import { isReprocessable } from "../internal/reprocess-delivery.ts";
import type { DeliveryFilter, DeliveryRecord, DeliverySummary, EventSummary } from "../types.ts";
import { canSeeDelivery, requireWritable, scopeDeliveryFilter, scopeEventFilter, type AdminAccess } from "./access.ts";
import type { AdminInbox, Route, RouteContext } from "./context.ts";
import { AdminHttpError, json, parseWith, queryObject, readJson } from "./http.ts";
import { rawBodyView } from "./raw-body.ts";
import { deliveryListQuery, pathId } from "./schemas.ts";

async function visibleDelivery(inbox: AdminInbox, id: string, access: AdminAccess): Promise<DeliveryRecord> {
  const delivery = await inbox.getDelivery(id);
  if (!delivery || !canSeeDelivery(delivery, access)) throw new AdminHttpError(404, "DELIVERY_NOT_FOUND", `no delivery ${id}`);
  return delivery;
}

function idParam(context: RouteContext): string {
  return parseWith(pathId, context.params.id, "path", "id");
}

/**
 * What a caller may see of a delivery's summary: a tenant-scoped caller sees only its own tenants
 * among those the delivery names (one QuickBooks or Xero delivery can carry several companies).
 */
function scopedSummary<D extends DeliverySummary>(delivery: D, access: AdminAccess): D & { tenantsWithheld: boolean } {
  const allowed = access.tenants;
  if (allowed === null) return { ...delivery, tenantsWithheld: false };
  const tenantIds = delivery.tenantIds.filter((tenant) => allowed.includes(tenant));
  return { ...delivery, tenantIds, tenantsWithheld: tenantIds.length < delivery.tenantIds.length };
}

/**
 * A delivery for the API: the raw bytes become text (or base64), its events come along, scoped to
 * the caller. When the delivery also names tenants the caller may not see, its raw body (which holds
 * their changes) is withheld and the event count is the caller's own.
 */
async function deliveryView(inbox: AdminInbox, delivery: DeliveryRecord, access: AdminAccess) {
  const { rawBody, ...rest } = scopedSummary(delivery, access);
  const filter = scopeEventFilter({ deliveryId: delivery.id }, access);
  const page = filter ? await inbox.listEvents({ ...filter, limit: MAX_PAGE_SIZE }) : { items: [], nextCursor: null };
  const events = page.items.map(({ payload: _payload, ...event }: EventSummary) => event);
  const body = rest.tenantsWithheld
    ? { rawBody: "", rawBodyEncoding: "utf-8" as const, rawBodyBytes: rawBody.byteLength, rawBodyWithheld: true }
    : { ...rawBodyView(rawBody), rawBodyWithheld: false };
  const eventCount = rest.tenantsWithheld ? events.length : rest.eventCount;
  // `reprocessable`: the Re-process action applies (unparseable, or `direct` without a recorded outcome).
  return { ...rest, eventCount, ...body, events, moreEvents: page.nextCursor !== null, reprocessable: isReprocessable(delivery) };
}

async function listDeliveries({ inbox, url, access }: RouteContext): Promise<Response> {
  const { cursor, limit, q, ...query } = parseWith(deliveryListQuery, queryObject(url), "query");
  const filter: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) if (value !== undefined) filter[key] = value;
  if (q !== undefined) filter.search = q;
  const scoped = scopeDeliveryFilter(filter as DeliveryFilter, access);
  if (!scoped) return json(200, { items: [], nextCursor: null });
  const page = await inbox.listDeliveries({ ...scoped, ...(cursor ? { cursor } : {}), ...(limit ? { limit } : {}) });
  return json(200, { items: page.items.map((delivery) => scopedSummary(delivery, access)), nextCursor: page.nextCursor });
}

async function getDelivery(context: RouteContext): Promise<Response> {
  const delivery = await visibleDelivery(context.inbox, idParam(context), context.access);
  return json(200, await deliveryView(context.inbox, delivery, context.access));
}

/** Queues the events of an `unparseable` delivery (parsed again) or of a `direct` one left without a recorded outcome. */
async function reprocess(context: RouteContext): Promise<Response> {
  requireWritable(context.access);
  const id = idParam(context);
  await visibleDelivery(context.inbox, id, context.access);
  await readJson(context.request, { required: false });
  await context.inbox.reprocessDelivery(id);
  const delivery = await visibleDelivery(context.inbox, id, { tenants: null });
  return json(200, { delivery: await deliveryView(context.inbox, delivery, context.access) });
}

/** Delivery routes, relative to `api/`. */
export const deliveryRoutes: readonly Route[] = [
  {
    method: "GET",
    pattern: "deliveries",
    handler: listDeliveries,
    query: deliveryListQuery,
    summary: "Lists inbound requests (deliveries), rejected ones included, newest first.",
    response:
      "`{ items, nextCursor }`: delivery summaries; a tenant-restricted caller sees only its own tenants among those a delivery names (`tenantsWithheld`).",
  },
  {
    method: "GET",
    pattern: "deliveries/:id",
    handler: getDelivery,
    summary: "One inbound request: headers (secrets redacted), raw body, the response given, and its events.",
    response:
      "The delivery with `rawBody` (UTF-8 text, or base64 when `rawBodyEncoding` says so), `events` and `moreEvents`. The raw body is withheld (`rawBodyWithheld: true`) from a caller who may not see every tenant it names.",
    errors: [{ status: 404, code: "DELIVERY_NOT_FOUND", when: "no such delivery the caller may see" }],
  },
  {
    method: "POST",
    pattern: "deliveries/:id/reprocess",
    handler: reprocess,
    summary:
      "Queues the events of a delivery an operator can re-process (`reprocessable: true` in `GET deliveries/:id`): an `unparseable` one is parsed again (after its cause is fixed) and becomes `accepted`; a `direct` one whose request ended without a recorded outcome (its process died mid-handler) has its events queued as `immediate` (`delayed` if that is the mode) and becomes `failed`, so a durable pass runs its handlers and the provider's resend is answered `duplicate`. Conditional on the delivery's status in the store: of two racing requests, one applies.",
    response: "`{ delivery }`: the delivery as `GET deliveries/:id` shows it.",
    errors: [
      { status: 400, code: "PAYLOAD_INVALID", when: "the stored body still cannot be parsed" },
      { status: 404, code: "DELIVERY_NOT_FOUND", when: "no such delivery the caller may see" },
      {
        status: 409,
        code: "CONFLICT",
        when: "the delivery is neither `unparseable` nor `direct` without a recorded outcome, or another request re-processed it first",
      },
    ],
  },
];
