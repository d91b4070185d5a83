// The processing pass: group claimed events, download their entities, judge staleness, run handlers, write outcomes in chunks.
import pLimit from "p-limit";
import type { ClaimedEvent } from "../../contracts/webhook-store.ts";
import { entityKeyString } from "../../entity-key.ts";
import type { Watermark } from "../../types.ts";
import { type EntityFetch, fetchGroup } from "../fetch-resources.ts";
import { groupBy } from "../group-by.ts";
import { alreadyApplied, compareForHandling, prefetched } from "../reconcile/found-by.ts";
import { judgeAgainstWatermark, notingEstimatedTime, supersededInBatch } from "../staleness.ts";
import { type HandleWork, handleEvent } from "./handle-event.ts";
import { type Outcome, outcome, recordOutcomes } from "./outcome.ts";
import type { PassContext } from "./pass-context.ts";
import { attemptStarts } from "./start-attempts.ts";
import type { Verdict } from "./transitions.ts";

/** Handler outcomes written per store call during a pass. */
const RECORD_CHUNK = 50;

/** One entity's events of this pass, with its download. */
interface EntityWork {
  readonly events: ClaimedEvent[];
  readonly fetch: Extract<EntityFetch, { kind: "resource" }>;
}

/**
 * The pass's download sequence, taken after the claim and before any download (see
 * `WebhookStore.nextDownloadSequence`); `undefined` from a store without sequences.
 */
async function takeDownloadSequence(ctx: PassContext): Promise<number | undefined> {
  return ctx.store.nextDownloadSequence ? await ctx.store.nextDownloadSequence() : undefined;
}

/**
 * Processes a pass's claimed events: group by integration, tenant and type; download each group's
 * distinct entities in batches; judge staleness; call the handler once per entity with the newest data;
 * and record every outcome (in a few `finishAttempts` calls as the pass goes).
 */
export async function processClaimed(ctx: PassContext, claimed: readonly ClaimedEvent[]): Promise<void> {
  if (claimed.length === 0) return;
  const startedAt = ctx.clock.now();
  const outcomes: Outcome[] = [];
  const ready: EntityWork[] = [];
  const downloadSequence = await takeDownloadSequence(ctx);

  const groups = groupBy(claimed, (event) => `${event.integration}\u0000${event.tenantId}\u0000${event.entityType}`);
  await Promise.all([...groups.values()].map((group) => downloadGroup(ctx, group, startedAt, ready, outcomes)));

  const toHandle = await judgeStaleness(ctx, ready, startedAt, downloadSequence, outcomes);
  // What is known before any handler runs is written now; handler outcomes follow in chunks, so a
  // long pass completes events as it goes instead of holding every finish until its end.
  await recordOutcomes(ctx, outcomes.splice(0));
  const limit = pLimit(ctx.handlerConcurrency);
  const flushes: Promise<void>[] = [];
  const flush = () => {
    const written = recordOutcomes(ctx, outcomes.splice(0));
    // Awaited with the others below; marked handled now so a failure cannot surface as an unhandled rejection first.
    written.catch(() => {});
    flushes.push(written);
  };
  // Past half the lease, events still waiting for a handler slot are handed back rather than started:
  // their lease could expire mid-handler and another worker would run them too.
  const handBackAfter = startedAt.getTime() + ctx.leaseMs / 2;
  const start = attemptStarts(ctx, toHandle);
  await Promise.all(
    toHandle.map((work, index) =>
      limit(async () => {
        const now = ctx.clock.now();
        if (now.getTime() > handBackAfter) outcomes.push(outcome(ctx, work.event, { kind: "released", at: now }));
        else {
          // Counted as started right before the handler runs (a window of handlers per store write).
          const started = await start(index);
          if (started) await handleEvent(ctx, started, outcomes);
          else outcomes.push(outcome(ctx, work.event, { kind: "released", at: ctx.clock.now() }));
        }
        if (outcomes.length >= RECORD_CHUNK) flush();
      }),
    ),
  );
  flush();
  await Promise.all(flushes);
}

/** Downloads one (integration, tenant, type) group's entities; entities not downloaded get their outcome now. */
async function downloadGroup(ctx: PassContext, group: ClaimedEvent[], startedAt: Date, ready: EntityWork[], outcomes: Outcome[]): Promise<void> {
  const first = group[0]!;
  const provider = ctx.providerFor(first.integration);
  if (!provider) {
    const error = `integration "${first.integration}" is not configured in this inbox`;
    for (const event of group) outcomes.push(outcome(ctx, event, { kind: "failed", startedAt, error, retryable: false }));
    return;
  }
  const entities = groupBy(group, (event) => event.entityId);
  // Changes found by reconciliation carry the record the provider's answer held: not fetched again.
  const held = new Map<string, EntityFetch>();
  for (const [entityId, events] of entities) {
    const fetch = prefetched(events);
    if (fetch) held.set(entityId, fetch);
  }
  const toFetch = [...entities.entries()].filter(([id, events]) => !held.has(id) && events.some((event) => !event.deleted)).map(([id]) => id);
  const fetched = toFetch.length
    ? await fetchGroup({
        provider,
        tenantId: first.tenantId,
        entityType: first.entityType,
        ids: toFetch,
        clock: ctx.clock,
        limiter: ctx.limiter,
        timeoutMs: ctx.fetchTimeoutMs,
        signal: ctx.signal,
        telemetry: ctx.telemetry,
      })
    : new Map<string, EntityFetch>();
  const now = ctx.clock.now();
  for (const [entityId, events] of entities) {
    const fetch = held.get(entityId) ?? fetched.get(entityId) ?? { kind: "resource", data: null, downloadedAt: now };
    if (fetch.kind === "resource") ready.push({ events, fetch });
    else for (const event of events) outcomes.push(outcome(ctx, event, notFetched(ctx, startedAt, fetch)));
  }
}

/** The entity was not downloaded: a fetch error, our limiter's "wait", the provider's throttle, or stop(). */
function notFetched(ctx: PassContext, startedAt: Date, fetch: Exclude<EntityFetch, { kind: "resource" }>): Verdict {
  // Stopped mid-download: hand the event back unspent, as for a handler cut short by stop().
  if (ctx.signal.aborted) return { kind: "released", at: ctx.clock.now() };
  switch (fetch.kind) {
    case "error":
      return { kind: "failed", startedAt, error: fetch.error, retryable: fetch.retryable };
    case "deferred":
      // Our own limiter: nothing was attempted, the event just waits for its slot.
      return { kind: "released", at: fetch.retryAt };
    case "parked":
      // The tenant needs re-authorisation: nothing attempted or spent; the event says why while it waits.
      return { kind: "released", at: fetch.retryAt, reason: fetch.reason };
    case "rate_limited":
      return { kind: "rate-limited", startedAt, retryAt: fetch.retryAt, retryAfterMs: fetch.retryAfterMs, limit: fetch.limit };
  }
}

/** Splits each entity's events into the one to handle and the stale rest. */
async function judgeStaleness(
  ctx: PassContext,
  ready: EntityWork[],
  startedAt: Date,
  downloadSequence: number | undefined,
  outcomes: Outcome[],
): Promise<HandleWork[]> {
  const watermarks = new Map<string, Watermark>();
  if (ready.length > 0) {
    const keys = ready.map((work) => work.events[0]!);
    for (const watermark of await ctx.store.getWatermarks(keys)) watermarks.set(entityKeyString(watermark), watermark);
  }
  const toHandle: HandleWork[] = [];
  for (const { events, fetch } of ready) {
    const sorted = [...events].sort(compareForHandling);
    const newest = sorted[sorted.length - 1]!;
    // A record a reconciliation answer held keeps the sequence its run took before asking.
    const sequence = fetch.downloadSequence ?? downloadSequence;
    const resource = { data: fetch.data, downloadedAt: fetch.downloadedAt, downloadSequence: sequence };
    for (const older of sorted.slice(0, -1)) {
      outcomes.push(outcome(ctx, older, { kind: "stale", startedAt, ...notingEstimatedTime(supersededInBatch(newest), older), resource }));
    }
    const watermark = watermarks.get(entityKeyString(newest));
    const verdict = judgeAgainstWatermark(newest, resource, watermark) ?? alreadyApplied(newest, watermark);
    if (verdict) outcomes.push(outcome(ctx, newest, { kind: "stale", startedAt, ...notingEstimatedTime(verdict, newest), resource }));
    else toHandle.push({ event: newest, data: fetch.data, downloadedAt: fetch.downloadedAt, downloadSequence: sequence, note: fetch.note ?? null });
  }
  return toHandle;
}
