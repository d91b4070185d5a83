// Downloading one group's records in the provider's batches, through the rate limiter, each settled as data, error, wait or throttle.
import type { Clock } from "../clock.ts";
import type { ProviderAdapter, RateLimitObservation, ResourceResult } from "../contracts/provider-adapter.ts";
import { ProviderRequestError, RateLimitedError, type ReauthorizationRequiredError, describeError, isWebhookInboxError } from "../errors.ts";
import type { CallLimiter } from "./call-limiter.ts";
import { type Telemetry, reportLimiterWait, tracedProviderCall } from "./telemetry.ts";

/** What became of one entity's download. */
export type EntityFetch =
  /** `note` says how a record the batch answer left out was settled by a single-record read. */
  | {
      readonly kind: "resource";
      readonly data: unknown;
      readonly downloadedAt: Date;
      readonly note?: string;
      /** Set when the data was downloaded before the pass (a reconciliation answer): the sequence taken then. */
      readonly downloadSequence?: number;
    }
  | { readonly kind: "error"; readonly error: string; readonly retryable: boolean }
  /** Our own limiter said wait: no call was made. */
  | { readonly kind: "deferred"; readonly retryAt: Date }
  /** The tenant needs re-authorisation: nothing was attempted; the event waits, saying why. */
  | { readonly kind: "parked"; readonly retryAt: Date; readonly reason: string }
  /** The provider answered "too many requests". */
  | { readonly kind: "rate_limited"; readonly retryAt: Date; readonly retryAfterMs: number; readonly limit: string | undefined };

export interface FetchGroupInput {
  readonly provider: ProviderAdapter;
  readonly tenantId: string;
  readonly entityType: string;
  /** Distinct entity ids to download. */
  readonly ids: readonly string[];
  readonly clock: Clock;
  readonly limiter: CallLimiter;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** Reports each call and each limiter wait, when the inbox is instrumented. */
  readonly telemetry?: Telemetry | undefined;
}

/** Recorded on the attempt when a batch answer left the record out and a second read settled it. */
export const CONFIRMED_MISSING_NOTE = "not in the batch answer; a single-record read confirmed it is missing";
export const FOUND_ON_SECOND_READ_NOTE = "not in the batch answer; found by a single-record read";

/**
 * Downloads the entities of one (provider, tenant, entity type) group in the fewest calls the provider
 * allows: `ceil(ids / maxBatchSize)`. Every call goes through the tenant's limiter; a throttle pauses
 * the tenant (or the whole app) and answers the rest of the group "rate limited" without calling.
 *
 * A record a batch answer leaves out is read once more on its own before it counts as missing (the
 * change is not a delete, so the record should exist): only that second read's "missing" gives the
 * handler `resource: null`, and the outcome carries a note saying which it was.
 */
export async function fetchGroup(input: FetchGroupInput): Promise<Map<string, EntityFetch>> {
  const { provider, tenantId, entityType, limiter, clock } = input;
  const results = new Map<string, EntityFetch>();
  if (provider.downloads?.(entityType) === false) {
    const downloadedAt = clock.now();
    for (const id of input.ids)
      results.set(id, { kind: "resource", data: null, downloadedAt, note: `${entityType} events name no record to download: the handler gets the payload` });
    return results;
  }
  const size = Math.max(1, Math.floor(provider.maxBatchSize(entityType)));
  const chunks: string[][] = [];
  for (let i = 0; i < input.ids.length; i += size) chunks.push(input.ids.slice(i, i + size));
  const gate = limiter.gate(provider.name, provider.limits, tenantId);
  const state: CallState = { throttled: null };
  const toConfirm: string[] = [];

  await Promise.all(
    chunks.map((chunk) =>
      queued(input, gate, (queuedMs) =>
        callProvider(input, state, chunk, results, { purpose: "batch", queuedMs }, async (signal) => {
          const fetched = await provider.fetchResources({ tenantId, entityType, ids: chunk, signal, observe: observer(input) });
          const downloadedAt = clock.now();
          for (const id of chunk) {
            const result = fetched.get(id);
            if (result?.status === "missing" && result.confirmed !== true) toConfirm.push(id);
            else results.set(id, fromResult(result, downloadedAt));
          }
        }),
      ),
    ),
  );
  await Promise.all(
    toConfirm.map((id) =>
      queued(input, gate, (queuedMs) =>
        callProvider(input, state, [id], results, { purpose: "confirm", queuedMs }, async (signal) => {
          const request = { tenantId, entityType, signal, observe: observer(input) };
          const result = provider.fetchResource
            ? await provider.fetchResource({ ...request, id })
            : (await provider.fetchResources({ ...request, ids: [id] })).get(id);
          const downloadedAt = clock.now();
          if (result?.status === "found") results.set(id, { kind: "resource", data: result.data, downloadedAt, note: FOUND_ON_SECOND_READ_NOTE });
          else if (result?.status === "missing") results.set(id, { kind: "resource", data: null, downloadedAt, note: CONFIRMED_MISSING_NOTE });
          else results.set(id, fromResult(result, downloadedAt));
        }),
      ),
    ),
  );
  return results;
}

/** Shared by the calls of one group: once the provider throttles, the rest is answered without calling. */
interface CallState {
  throttled: EntityFetch | null;
}

/** Runs `work` under the tenant's concurrency gate, telling it how long it waited for its slot (clock time). */
function queued<T>(input: FetchGroupInput, gate: (work: () => Promise<T>) => Promise<T>, work: (queuedMs: number) => Promise<T>): Promise<T> {
  const queuedAt = input.clock.now().getTime();
  return gate(() => work(Math.max(0, input.clock.now().getTime() - queuedAt)));
}

function observer(input: FetchGroupInput) {
  return (observation: RateLimitObservation) => input.limiter.observe(input.provider.name, input.provider.limits, input.tenantId, observation);
}

/**
 * One provider call under the limiter: reserves budget, runs `call` with a timeout, and turns a
 * throttle or a failure into every id's outcome.
 */
async function callProvider(
  input: FetchGroupInput,
  state: CallState,
  ids: readonly string[],
  results: Map<string, EntityFetch>,
  how: { readonly purpose: "batch" | "confirm"; readonly queuedMs: number },
  call: (signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const { provider, tenantId, entityType, limiter, clock, telemetry } = input;
  const setAll = (outcome: EntityFetch) => {
    for (const id of ids) results.set(id, outcome);
  };
  if (state.throttled) return setAll(state.throttled);
  // The call's hold: a call still in flight after its timeout was aborted (a shared budget stops counting it then).
  const reservation = await limiter.reserve(provider.name, provider.limits, tenantId, input.timeoutMs);
  const wait = { provider: provider.name, tenantId, entityType, entities: ids.length };
  if (!reservation.ok) {
    reportLimiterWait(telemetry, { ...wait, kind: "deferred", waitMs: Math.max(0, reservation.retryAt.getTime() - clock.now().getTime()) });
    return setAll({ kind: "deferred", retryAt: reservation.retryAt });
  }
  if (state.throttled) {
    // Another call of this group was throttled while this one waited for its reservation.
    await reservation.end();
    return setAll(state.throttled);
  }
  reportLimiterWait(telemetry, { ...wait, kind: "queued", waitMs: how.queuedMs });
  const timeout = AbortSignal.timeout(input.timeoutMs);
  const signal = AbortSignal.any([input.signal, timeout]);
  try {
    await tracedProviderCall(telemetry, { provider: provider.name, tenantId, entityType, ids, ...how }, () => call(signal));
    await reservation.end();
  } catch (error) {
    await reservation.end();
    if (error instanceof RateLimitedError || (isWebhookInboxError(error) && error.code === "RATE_LIMITED")) {
      const rate = error as RateLimitedError;
      const retryAfterMs = Math.max(0, rate.retryAfterMs ?? provider.limits.defaultRetryAfterMs);
      const retryAt = new Date(clock.now().getTime() + retryAfterMs);
      state.throttled = { kind: "rate_limited", retryAt, retryAfterMs, limit: rate.limit };
      await limiter.pause(provider.name, provider.limits, tenantId, rate.scope ?? "tenant", retryAt, {
        status: rate.status,
        limit: rate.limit ?? null,
        message: rate.message,
      });
      return setAll(state.throttled);
    }
    if (isWebhookInboxError(error) && error.code === "REAUTHORIZATION_REQUIRED") {
      const recheckMs = Math.max(1_000, (error as ReauthorizationRequiredError).recheckMs ?? 60_000);
      state.throttled = { kind: "parked", retryAt: new Date(clock.now().getTime() + recheckMs), reason: error.message };
      return setAll(state.throttled);
    }
    const message = timeout.aborted ? `provider request timed out after ${input.timeoutMs} ms` : describeError(error);
    const retryable = error instanceof ProviderRequestError ? error.retryable : true;
    setAll({ kind: "error", error: message, retryable });
  }
}

function fromResult(result: ResourceResult | undefined, downloadedAt: Date): EntityFetch {
  if (!result) return { kind: "error", error: "the provider's answer did not include this entity", retryable: true };
  if (result.status === "found") return { kind: "resource", data: result.data, downloadedAt };
  if (result.status === "missing") return { kind: "resource", data: null, downloadedAt };
  const retryable = result.error instanceof ProviderRequestError ? result.error.retryable : true;
  return { kind: "error", error: describeError(result.error), retryable };
}
