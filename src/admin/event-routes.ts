import { EVENT_STATUSES, type EventDetails, type EventFilter, type EventStatus, type EventSummary } from "../types.ts";
import { canSeeEvent, requireWritable, scopeEventFilter, type AdminAccess } from "./access.ts";
import type { AdminInbox, Route, RouteContext } from "./context.ts";
import { AdminHttpError, json, parseWith, queryObject, readJson } from "./http.ts";
import { type EventFilterInput, eventCountQuery, eventListQuery, pathId, retryByFilterBody, retryByIdsBody } from "./schemas.ts";

/** Statuses a retry can pick up: everything but `succeeded` (the store skips those). */
const RETRYABLE: readonly EventStatus[] = EVENT_STATUSES.filter((status) => status !== "succeeded");

/** Query names → the core's `EventFilter` (`q` is `search`). */
export function toEventFilter(input: EventFilterInput): EventFilter {
  const { q, ...rest } = input;
  const filter: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) filter[key] = value;
  if (q !== undefined) filter.search = q;
  return filter as EventFilter;
}

/** List rows leave out the payload (it can be large); the event page shows it. */
function listItem(event: EventSummary): Omit<EventSummary, "payload"> {
  const { payload: _payload, ...rest } = event;
  return rest;
}

/** The event, or a 404 that is the same whether it does not exist or belongs to another tenant. */
async function visibleEvent(inbox: AdminInbox, id: string, access: AdminAccess): Promise<EventDetails> {
  const event = await inbox.getEvent(id);
  if (!event || !canSeeEvent(event, access)) throw new AdminHttpError(404, "EVENT_NOT_FOUND", `no event ${id}`);
  return event;
}

function idParam(context: RouteContext): string {
  return parseWith(pathId, context.params.id, "path", "id");
}

/** Counts an (already scoped) filter over the statuses a retry would pick up. */
async function retryableCount(inbox: AdminInbox, filter: EventFilter | null): Promise<{ filter: EventFilter | null; count: number }> {
  if (!filter) return { filter: null, count: 0 };
  const wanted = filter.status === undefined ? RETRYABLE : [filter.status].flat().filter((status) => RETRYABLE.includes(status));
  if (wanted.length === 0) return { filter: null, count: 0 };
  const scoped = { ...filter, status: wanted };
  const rows = await inbox.countEvents(scoped);
  return { filter: scoped, count: rows.reduce((sum, row) => sum + row.count, 0) };
}

async function listEvents({ inbox, url, access }: RouteContext): Promise<Response> {
  const { cursor, limit, ...query } = parseWith(eventListQuery, queryObject(url), "query");
  const filter = scopeEventFilter(toEventFilter(query), access);
  if (!filter) return json(200, { items: [], nextCursor: null });
  const page = await inbox.listEvents({ ...filter, ...(cursor ? { cursor } : {}), ...(limit ? { limit } : {}) });
  return json(200, { items: page.items.map(listItem), nextCursor: page.nextCursor });
}

async function getEvent(context: RouteContext): Promise<Response> {
  return json(200, await visibleEvent(context.inbox, idParam(context), context.access));
}

async function countEvents({ inbox, url, access }: RouteContext): Promise<Response> {
  const filter = scopeEventFilter(toEventFilter(parseWith(eventCountQuery, queryObject(url), "query")), access);
  const rows = filter ? await inbox.countEvents(filter) : [];
  const byStatus = Object.fromEntries(EVENT_STATUSES.map((status) => [status, 0])) as Record<EventStatus, number>;
  const byIntegration: Record<string, Record<string, number>> = {};
  let total = 0;
  for (const row of rows) {
    byStatus[row.status] += row.count;
    (byIntegration[row.integration] ??= {})[row.status] = row.count;
    total += row.count;
  }
  return json(200, { total, byStatus, byIntegration, rows });
}

async function retryOne(context: RouteContext): Promise<Response> {
  requireWritable(context.access);
  const id = idParam(context);
  await visibleEvent(context.inbox, id, context.access);
  await readJson(context.request, { required: false });
  const event = await context.inbox.retry(id);
  return json(200, { event });
}

/**
 * Retry many: by ids (each must be visible to the caller), or by filter. A filter retry is refused
 * with 409 and the actual count unless `expectedCount` matches it: the operator confirms what they saw.
 */
async function retryMany({ inbox, request, access }: RouteContext): Promise<Response> {
  requireWritable(access);
  const body = await readJson(request, { required: true });
  if (typeof body === "object" && body !== null && !Array.isArray(body) && "ids" in body) {
    const ids = [...new Set(parseWith(retryByIdsBody, body, "body").ids)];
    for (const id of ids) await visibleEvent(inbox, id, access);
    const { requeued } = await inbox.retryMany(ids);
    return json(200, { requeued, skipped: ids.filter((id) => !requeued.includes(id)) });
  }
  const { filter: input, expectedCount } = parseWith(retryByFilterBody, body, "body");
  const { filter, count } = await retryableCount(inbox, scopeEventFilter(toEventFilter(input), access));
  if (expectedCount !== count) {
    const message =
      expectedCount === undefined
        ? `confirm the retry: ${count} event(s) match; send expectedCount: ${count}`
        : `expectedCount is ${expectedCount} but ${count} event(s) match now; confirm again`;
    throw new AdminHttpError(409, "COUNT_MISMATCH", message, { count });
  }
  if (!filter || count === 0) return json(200, { requeued: [], skipped: [] });
  // Freeze the set the operator confirmed: events arriving after the count are not swept in.
  const newest = (await inbox.listEvents({ ...filter, limit: 1 })).items[0];
  const frozen: EventFilter = newest ? { ...filter, receivedTo: new Date(newest.receivedAt.getTime() + 1) } : filter;
  const { requeued } = await inbox.retryMany(frozen);
  return json(200, { requeued, skipped: [] });
}

/** Event routes, relative to `api/`. */
export const eventRoutes: readonly Route[] = [
  {
    method: "GET",
    pattern: "events",
    handler: listEvents,
    query: eventListQuery,
    summary: "Lists events, newest first, with filters and cursor paging.",
    response: "`{ items, nextCursor }`: event summaries without their payload; pass `nextCursor` as `cursor` for the next page (`null` on the last).",
  },
  {
    method: "POST",
    pattern: "events/retry",
    handler: retryMany,
    body: [retryByIdsBody, retryByFilterBody],
    summary: "Retries many events: named by id, or every retryable event matching a filter.",
    response: "`{ requeued, skipped }`: the ids re-queued for a manual attempt, and the named ids that were not (succeeded).",
    errors: [
      { status: 404, code: "EVENT_NOT_FOUND", when: "an id names no event the caller may see" },
      {
        status: 409,
        code: "COUNT_MISMATCH",
        when: "a filter retry without `expectedCount`, or with one that no longer matches; the answer's `count` is the current number",
      },
    ],
    notes:
      "A retry by filter is a two-step confirmation: send the filter alone and the 409 answer carries `count`, the number of retryable events (every status but `succeeded`) it matches; show it to the operator and send it back as `expectedCount`. " +
      "If events arrived or changed status in between, the counts differ and the retry is refused again with the new count, so an operator never retries more than they agreed to. Events received after the confirmed count are not swept in.",
  },
  {
    method: "GET",
    pattern: "events/:id",
    handler: getEvent,
    summary: "One event with its attempts, payload and resource data.",
    response: "The event's log fields, `attempts` (each with `trigger` and `outcome`), `payload` and `resourceData` (`{ data, downloadedAt }` or `null`).",
    errors: [{ status: 404, code: "EVENT_NOT_FOUND", when: "no such event, or it belongs to a tenant the caller may not see" }],
  },
  {
    method: "POST",
    pattern: "events/:id/retry",
    handler: retryOne,
    summary: "Runs a manual attempt of one event (it spends no automatic attempt).",
    response: "`{ event }`: the event after the attempt, or queued when the tenant's rate limiter postpones it.",
    errors: [
      { status: 404, code: "EVENT_NOT_FOUND", when: "no such event the caller may see" },
      { status: 409, code: "EVENT_NOT_RETRYABLE", when: "the event succeeded already, or is being processed" },
    ],
  },
  {
    method: "GET",
    pattern: "counts",
    handler: countEvents,
    query: eventCountQuery,
    summary: "Counts events by status and by integration for a filter.",
    response: "`{ total, byStatus, byIntegration, rows }`.",
  },
];
