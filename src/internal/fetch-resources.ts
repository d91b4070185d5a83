import type { Clock } from "../clock.ts";
import type { ProviderAdapter, ResourceResult } from "../contracts/provider-adapter.ts";
import { ProviderRequestError, RateLimitedError, describeError, isWebhookInboxError } from "../errors.ts";
import type { RateLimiter } from "./rate-limiter.ts";

/** What became of one entity's download. */
export type EntityFetch =
  | { readonly kind: "resource"; readonly data: unknown; readonly downloadedAt: Date }
  | { readonly kind: "error"; readonly error: string; readonly retryable: boolean }
  /** Our own limiter said wait: no call was made. */
  | { readonly kind: "deferred"; readonly retryAt: Date }
  /** The provider answered "too many requests". */
  | { readonly kind: "rate_limited"; readonly retryAt: Date; readonly retryAfterMs: number; readonly limit: string | undefined };

export interface FetchGroupInput {
  readonly provider: ProviderAdapter;
  readonly tenantId: string;
  readonly entityType: string;
  /** Distinct entity ids to download. */
  readonly ids: readonly string[];
  readonly clock: Clock;
  readonly limiter: RateLimiter;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/**
 * Downloads the entities of one (provider, tenant, entity type) group in the fewest calls the provider
 * allows: `ceil(ids / maxBatchSize)`. Every call goes through the tenant's limiter; a throttle pauses
 * the tenant (or the whole app) and answers the rest of the group "rate limited" without calling.
 */
export async function fetchGroup(input: FetchGroupInput): Promise<Map<string, EntityFetch>> {
  const { provider, tenantId, entityType, limiter, clock } = input;
  const results = new Map<string, EntityFetch>();
  const size = Math.max(1, Math.floor(provider.maxBatchSize(entityType)));
  const chunks: string[][] = [];
  for (let i = 0; i < input.ids.length; i += size) chunks.push(input.ids.slice(i, i + size));
  const gate = limiter.gate(provider.name, provider.limits, tenantId);
  let throttled: EntityFetch | null = null;

  await Promise.all(
    chunks.map((chunk) =>
      gate(async () => {
        const setAll = (outcome: EntityFetch) => chunk.forEach((id) => results.set(id, outcome));
        if (throttled) return setAll(throttled);
        const reservation = limiter.reserve(provider.name, provider.limits, tenantId);
        if (!reservation.ok) return setAll({ kind: "deferred", retryAt: reservation.retryAt });
        const timeout = AbortSignal.timeout(input.timeoutMs);
        const signal = AbortSignal.any([input.signal, timeout]);
        try {
          const fetched = await provider.fetchResources({
            tenantId,
            entityType,
            ids: chunk,
            signal,
            observe: (observation) => limiter.observe(provider.name, provider.limits, tenantId, observation),
          });
          reservation.end();
          const downloadedAt = clock.now();
          for (const id of chunk) results.set(id, fromResult(fetched.get(id), downloadedAt));
        } catch (error) {
          reservation.end();
          if (error instanceof RateLimitedError || (isWebhookInboxError(error) && error.code === "RATE_LIMITED")) {
            const rate = error as RateLimitedError;
            const retryAfterMs = Math.max(0, rate.retryAfterMs ?? provider.limits.defaultRetryAfterMs);
            const retryAt = new Date(clock.now().getTime() + retryAfterMs);
            limiter.pause(provider.name, provider.limits, tenantId, rate.scope ?? "tenant", retryAt);
            throttled = { kind: "rate_limited", retryAt, retryAfterMs, limit: rate.limit };
            return setAll(throttled);
          }
          const message = timeout.aborted ? `provider request timed out after ${input.timeoutMs} ms` : describeError(error);
          const retryable = error instanceof ProviderRequestError ? error.retryable : true;
          setAll({ kind: "error", error: message, retryable });
        }
      }),
    ),
  );
  return results;
}

function fromResult(result: ResourceResult | undefined, downloadedAt: Date): EntityFetch {
  if (!result) return { kind: "error", error: "the provider's answer did not include this entity", retryable: true };
  if (result.status === "found") return { kind: "resource", data: result.data, downloadedAt };
  if (result.status === "missing") return { kind: "resource", data: null, downloadedAt };
  const retryable = result.error instanceof ProviderRequestError ? result.error.retryable : true;
  return { kind: "error", error: describeError(result.error), retryable };
}
