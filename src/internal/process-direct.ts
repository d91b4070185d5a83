// `direct` mode's processing: a delivery's entities downloaded and handled inside the request.
import type { Clock } from "../clock.ts";
import type { ParsedEvent, ProviderAdapter } from "../contracts/provider-adapter.ts";
import { RateLimitedError, WebhookInboxError } from "../errors.ts";
import { createId } from "../ids.ts";
import type { EventHandler, InboxEvent } from "../types.ts";
import { type EntityFetch, fetchGroup } from "./fetch-resources.ts";
import { groupBy } from "./group-by.ts";
import type { CallLimiter } from "./call-limiter.ts";
import { runHandler } from "./run-handler.ts";
import { newestOf } from "./staleness.ts";
import type { Telemetry } from "./telemetry.ts";

export interface DirectInput {
  readonly integration: string;
  readonly provider: ProviderAdapter;
  readonly deliveryId: string;
  readonly events: readonly ParsedEvent[];
  readonly receivedAt: Date;
  readonly clock: Clock;
  readonly limiter: CallLimiter;
  readonly fetchTimeoutMs: number;
  readonly handlerTimeoutMs: number;
  readonly handlerFor: (integration: string, entityType: string) => EventHandler | undefined;
  readonly signal: AbortSignal;
  /** The receive's instrumentation scope, when the inbox is instrumented. */
  readonly telemetry?: Telemetry | undefined;
  /** Told which change failed, just before the failure is thrown (for the log line). */
  readonly onChangeFailed?: (change: DirectChange) => void;
}

/** One change of a `direct` delivery, named as its handler would see it. */
export interface DirectChange {
  readonly id: string;
  readonly tenantId: string;
  readonly entityType: string;
  readonly entityId: string;
}

/**
 * `direct` mode: the classic receiver. Downloads the delivery's entities (batched, through the same
 * limiter) and runs the handler for each entity's newest change inside the request. Any failure
 * throws, so the request is answered with an error and the provider's own retry is the only retry.
 */
export async function processDirect(input: DirectInput): Promise<void> {
  // Ids in the delivery's order, made before any choice: "newest" is then the same rule as in a pass.
  const changes = input.events.map((event) => ({ ...event, id: createId() }));
  const groups = groupBy(changes, (event) => `${event.tenantId}\u0000${event.entityType}`);
  for (const events of groups.values()) {
    const { tenantId, entityType } = events[0]!;
    const entities = [...groupBy(events, (event) => event.entityId).values()];
    const newestPerEntity = entities.map(newestOf);
    // As in a pass: an entity is downloaded when any of its changes is not a deletion, so a record
    // that exists never reaches the handler as deleted.
    const ids = entities.filter((changesOf) => changesOf.some((event) => !event.deleted)).map((changesOf) => changesOf[0]!.entityId);
    const fetched = ids.length
      ? await fetchGroup({
          provider: input.provider,
          tenantId,
          entityType,
          ids,
          clock: input.clock,
          limiter: input.limiter,
          timeoutMs: input.fetchTimeoutMs,
          signal: input.signal,
          telemetry: input.telemetry,
        })
      : new Map<string, EntityFetch>();
    for (const change of newestPerEntity) {
      try {
        await processChange(input, change, entityType, fetched);
      } catch (error) {
        input.onChangeFailed?.({ id: change.id, tenantId, entityType, entityId: change.entityId });
        throw error;
      }
    }
  }
}

/** Handles one entity's newest change with its download; throws what the request is answered with. */
async function processChange(input: DirectInput, change: ParsedEvent & { id: string }, entityType: string, fetched: Map<string, EntityFetch>): Promise<void> {
  const fetch = fetched.get(change.entityId) ?? { kind: "resource", data: null, downloadedAt: input.clock.now() };
  if (fetch.kind === "rate_limited" || fetch.kind === "deferred") {
    const retryAfterMs = Math.max(0, fetch.retryAt.getTime() - input.clock.now().getTime());
    throw new RateLimitedError("provider rate limit reached; try again later", { retryAfterMs });
  }
  if (fetch.kind === "error") throw new WebhookInboxError("PROVIDER_REQUEST_FAILED", fetch.error, { status: 502 });
  // Direct mode has no queue to park in: the request fails (503) and the provider resends.
  if (fetch.kind === "parked") throw new WebhookInboxError("REAUTHORIZATION_REQUIRED", fetch.reason, { status: 503 });
  const handler = input.handlerFor(input.integration, entityType);
  if (!handler) throw new WebhookInboxError("HANDLER_FAILED", `no handler for ${input.integration}/${entityType}`);
  const event: InboxEvent = {
    id: change.id,
    integration: input.integration,
    tenantId: change.tenantId,
    entityType,
    entityId: change.entityId,
    operation: change.operation,
    occurredAt: change.occurredAt,
    resource: fetch.data ?? null,
    deliveryId: input.deliveryId,
    provider: input.provider.name,
    receivedAt: input.receivedAt,
    downloadedAt: fetch.downloadedAt,
    trigger: "receive",
    attempt: 1,
    payload: change.payload,
  };
  await runHandler({ signal: input.signal, handlerTimeoutMs: input.handlerTimeoutMs, telemetry: input.telemetry }, handler, event, undefined);
}
