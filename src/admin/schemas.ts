import { z } from "zod";
import { DELIVERY_STATUSES, EVENT_STATUSES, MODES } from "../types.ts";
import { MAX_PAGE_SIZE } from "../filters.ts";

/** Most values one comma list may hold (a guard against absurd queries, not a business limit). */
const MAX_LIST = 100;
/** Most ids one retry-by-ids request may name. */
export const MAX_RETRY_IDS = 1_000;

// No NUL: PostgreSQL cannot hold it in text, so it would come back as a store failure (503), not a 400.
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { error: "must not be empty" })
    .max(max, { error: `must be at most ${max} characters` })
    .refine((value) => !value.includes("\u0000"), { error: "must not contain a NUL character" });

/** A comma-separated list (query string) or a JSON array (body) of `item`. */
function list<T extends string>(item: z.ZodType<T, string>) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((value) => (Array.isArray(value) ? value : value.split(",")).map((part) => part.trim()).filter((part) => part !== ""))
    .pipe(
      z
        .array(item)
        .min(1, { error: "needs at least one value" })
        .max(MAX_LIST, { error: `takes at most ${MAX_LIST} values` }),
    );
}

const isoTime = z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time, e.g. 2030-01-01T00:00:00Z" }).transform((value) => new Date(value));

const limit = z.coerce
  .number({ error: "must be a number" })
  .int({ error: "must be a whole number" })
  .min(1, { error: "must be at least 1" })
  .max(MAX_PAGE_SIZE, { error: `must be at most ${MAX_PAGE_SIZE}` });

const eventFilterShape = {
  integration: list(text(100)).optional().describe("integration ids"),
  tenantId: list(text(200)).optional().describe("provider tenants (QuickBooks realm, Xero organisation)"),
  status: list(z.enum(EVENT_STATUSES, { error: `must be one of ${EVENT_STATUSES.join(", ")}` }))
    .optional()
    .describe(`any of ${EVENT_STATUSES.join(", ")}`),
  entityType: text(200).optional().describe("entity type as the provider names it (Invoice, CONTACT)"),
  entityId: text(500).optional().describe("entity id"),
  deliveryId: text(100).optional().describe("the delivery the events came in"),
  receivedFrom: isoTime.optional().describe("received at or after"),
  receivedTo: isoTime.optional().describe("received before"),
  /** Free text over event id, delivery id, entity id and tenant id. */
  q: text(200).optional().describe("free text over event id, delivery id, entity id and tenant id"),
  text: text(200).optional().describe("free text over the last error, the payload and the resource data"),
};

const page = {
  cursor: text(500).optional().describe("the previous page's nextCursor"),
  limit: limit.optional().describe(`page size (default 50, at most ${MAX_PAGE_SIZE})`),
};

/** `GET api/events` query. */
export const eventListQuery = z.strictObject({ ...eventFilterShape, ...page });
/** `GET api/counts` query. */
export const eventCountQuery = z.strictObject(eventFilterShape);
/** A filter in a `POST api/events/retry` body (same names as the query, lists as arrays or comma strings). */
export const eventFilterBody = z.strictObject(eventFilterShape);

/** `GET api/deliveries` query. */
export const deliveryListQuery = z.strictObject({
  integration: list(text(100)).optional().describe("integration ids"),
  tenantId: list(text(200)).optional().describe("provider tenants the delivery names"),
  status: list(z.enum(DELIVERY_STATUSES, { error: `must be one of ${DELIVERY_STATUSES.join(", ")}` }))
    .optional()
    .describe(`any of ${DELIVERY_STATUSES.join(", ")}`),
  receivedFrom: isoTime.optional().describe("received at or after"),
  receivedTo: isoTime.optional().describe("received before"),
  /** Free text over delivery id and reason. */
  q: text(200).optional().describe("free text over delivery id and reason"),
  ...page,
});

/** `POST api/events/retry` body naming events. */
export const retryByIdsBody = z.strictObject({
  ids: z
    .array(text(100))
    .min(1, { error: "needs at least one id" })
    .max(MAX_RETRY_IDS, { error: `takes at most ${MAX_RETRY_IDS} ids` })
    .describe("event ids to retry"),
});

/** `POST api/events/retry` body with a filter, confirmed by the count the operator was shown. */
export const retryByFilterBody = z.strictObject({
  filter: eventFilterBody.describe("the event filter (the same fields as GET events' query; lists as arrays or comma strings)"),
  /** How many events the operator agreed to retry; anything else is refused with the actual count. */
  expectedCount: z
    .number({ error: "must be a number" })
    .int({ error: "must be a whole number" })
    .min(0, { error: "must be at least 0" })
    .optional()
    .describe("the count the operator confirmed (from the 409 answer or GET counts)"),
});

/** `PUT api/settings/service` body. */
export const serviceBody = z.strictObject({ enabled: z.boolean({ error: "must be true or false" }).describe("false: every integration runs in direct mode") });

/** `PUT api/settings/integrations/:id` body. */
export const modeBody = z.strictObject({ mode: z.enum(MODES, { error: `must be one of ${MODES.join(", ")}` }).describe(`one of ${MODES.join(", ")}`) });

/** Path ids are UUIDv7 in practice; anything printable and short is accepted and simply not found otherwise. */
export const pathId = text(100).regex(/^[\w.:-]+$/, { error: "has characters an id never has" });

export type EventListQuery = z.output<typeof eventListQuery>;
export type EventFilterInput = z.output<typeof eventCountQuery>;
export type DeliveryListQuery = z.output<typeof deliveryListQuery>;
