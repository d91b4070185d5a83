import {
  WebhookPayloadError,
  type FetchResourcesRequest,
  type FetchResourcesResult,
  type ParsedDelivery,
  type ProviderAdapter,
  type ProviderRequest,
  type ResourceResult,
} from "../../src/index.ts";

/** Name the instant provider's events carry. */
export const INSTANT_PROVIDER = "instant";

/** Calls an instant provider answered, and ids it was asked for. */
export interface InstantProviderCounters {
  calls: number;
  ids: number;
}

/**
 * A provider whose API answers at once, with no rate limits: isolates the inbox's own cost (claim,
 * fetch bookkeeping, handler, finish) from any network. Bodies are `{"events":[{tenantId, entityType,
 * entityId, occurredAt}]}`; the bench loads events through the store, so `verify` accepts anything.
 */
export function instantProvider(options: { maxBatchSize?: number } = {}): ProviderAdapter & { readonly counters: InstantProviderCounters } {
  const counters: InstantProviderCounters = { calls: 0, ids: 0 };
  const maxBatchSize = options.maxBatchSize ?? 100;
  return {
    name: INSTANT_PROVIDER,
    contentTypes: ["application/json"],
    limits: { tenant: { concurrency: 64, windows: [] }, defaultRetryAfterMs: 1_000 },
    counters,
    maxBatchSize: () => maxBatchSize,
    verify: () => {},
    parse: (request: ProviderRequest): ParsedDelivery => {
      let body: { events?: { tenantId: string; entityType: string; entityId: string; occurredAt: string }[] };
      try {
        body = JSON.parse(Buffer.from(request.rawBody).toString("utf8")) as typeof body;
      } catch (error) {
        throw new WebhookPayloadError("instant provider: body is not JSON", error);
      }
      if (!Array.isArray(body.events)) throw new WebhookPayloadError("instant provider: body has no events array");
      const events = body.events.map((event) => ({
        tenantId: event.tenantId,
        entityType: event.entityType,
        entityId: event.entityId,
        operation: "update",
        deleted: false,
        occurredAt: new Date(event.occurredAt),
        payload: event,
      }));
      return {
        dedupeKey: events.map((event) => `${event.tenantId}/${event.entityType}/${event.entityId}/${event.occurredAt.toISOString()}`).join("|"),
        events,
      };
    },
    fetchResources: async (request: FetchResourcesRequest): Promise<FetchResourcesResult> => {
      counters.calls += 1;
      counters.ids += request.ids.length;
      const results = new Map<string, ResourceResult>();
      for (const id of request.ids) results.set(id, { status: "found", data: { id, type: request.entityType } });
      return results;
    },
  };
}
