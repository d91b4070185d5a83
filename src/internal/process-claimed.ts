import pLimit from "p-limit";
import type { Clock } from "../clock.ts";
import type { ProviderAdapter } from "../contracts/provider-adapter.ts";
import type { ClaimedEvent, FinishAttemptInput, WebhookStore } from "../contracts/webhook-store.ts";
import { WebhookInboxError, describeError } from "../errors.ts";
import type { InboxEventMap, Logger } from "../events.ts";
import type { AttemptOutcome, AttemptRecord, EventHandler, EventRecord, InboxEvent, Watermark } from "../types.ts";
import { entityKeyString } from "../entity-key.ts";
import { type EntityFetch, fetchGroup } from "./fetch-resources.ts";
import type { RateLimiter } from "./rate-limiter.ts";
import { compareEvents, judgeAgainstWatermark, supersededInBatch } from "./staleness.ts";

export type Emit = <K extends keyof InboxEventMap>(name: K, payload: Parameters<InboxEventMap[K]>[0]) => void;

/** Everything a processing pass needs from the processor. */
export interface ProcessingContext {
  readonly store: WebhookStore;
  readonly clock: Clock;
  readonly limiter: RateLimiter;
  readonly providerFor: (integration: string) => ProviderAdapter | undefined;
  readonly handlerFor: (integration: string, entityType: string) => EventHandler | undefined;
  /** Delay before automatic retry number `attempt` (attempts spent so far). */
  readonly retryDelay: (attempt: number) => number;
  readonly fetchTimeoutMs: number;
  readonly handlerTimeoutMs: number;
  readonly handlerConcurrency: number;
  readonly maxRateLimitWaitMs: number;
  /** The claims' lease: a pass must not start handlers it may not finish under it. */
  readonly leaseMs: number;
  readonly transactionalHandler: boolean;
  readonly signal: AbortSignal;
  readonly emit: Emit;
  readonly logger: Logger;
}

/** A finish waiting to be written, and what to announce once it is. */
interface Outcome {
  readonly event: ClaimedEvent;
  readonly input: FinishAttemptInput;
  readonly announce: (event: EventRecord, attempt: AttemptRecord | null) => void;
}

/** One entity's events of this pass, with its download. */
interface EntityWork {
  readonly events: ClaimedEvent[];
  readonly fetch: Extract<EntityFetch, { kind: "resource" }>;
}

/**
 * Processes a pass's claimed events: group by integration, tenant and type; download each group's
 * distinct entities in batches; judge staleness; call the handler once per entity with the newest data;
 * and record every outcome (in a few `finishAttempts` calls as the pass goes).
 */
export async function processClaimed(ctx: ProcessingContext, claimed: readonly ClaimedEvent[]): Promise<void> {
  if (claimed.length === 0) return;
  const startedAt = ctx.clock.now();
  const outcomes: Outcome[] = [];
  const ready: EntityWork[] = [];

  const groups = groupBy(claimed, (event) => `${event.integration}\u0000${event.tenantId}\u0000${event.entityType}`);
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const first = group[0]!;
      const provider = ctx.providerFor(first.integration);
      if (!provider) {
        const error = `integration "${first.integration}" is not configured in this inbox`;
        for (const event of group) outcomes.push(failure(ctx, event, startedAt, error, false));
        return;
      }
      const entities = groupBy(group, (event) => event.entityId);
      const toFetch = [...entities.entries()].filter(([, events]) => events.some((event) => !event.deleted)).map(([id]) => id);
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
          })
        : new Map<string, EntityFetch>();
      const now = ctx.clock.now();
      for (const [entityId, events] of entities) {
        const fetch = fetched.get(entityId) ?? { kind: "resource", data: null, downloadedAt: now };
        if (fetch.kind === "resource") ready.push({ events, fetch });
        else for (const event of events) outcomes.push(notFetched(ctx, event, startedAt, fetch));
      }
    }),
  );

  const toHandle = await judgeStaleness(ctx, ready, startedAt, outcomes);
  // What is known before any handler runs is written now; handler outcomes follow in chunks, so a
  // long pass completes events as it goes instead of holding every finish until its end.
  await record(ctx, outcomes.splice(0));
  const limit = pLimit(ctx.handlerConcurrency);
  const flushes: Promise<void>[] = [];
  const flush = () => {
    const written = record(ctx, outcomes.splice(0));
    // Awaited with the others below; marked handled now so a failure cannot surface as an unhandled rejection first.
    written.catch(() => {});
    flushes.push(written);
  };
  // Past half the lease, events still waiting for a handler slot are handed back rather than started:
  // their lease could expire mid-handler and another worker would run them too.
  const handBackAfter = startedAt.getTime() + ctx.leaseMs / 2;
  await Promise.all(
    toHandle.map((work) =>
      limit(async () => {
        const now = ctx.clock.now();
        if (now.getTime() > handBackAfter) outcomes.push(release(ctx, work.event, now));
        else await handle(ctx, work, outcomes);
        if (outcomes.length >= RECORD_CHUNK) flush();
      }),
    ),
  );
  flush();
  await Promise.all(flushes);
}

/** Handler outcomes written per store call during a pass. */
const RECORD_CHUNK = 50;

/** Splits each entity's events into the one to handle and the stale rest. */
async function judgeStaleness(ctx: ProcessingContext, ready: EntityWork[], startedAt: Date, outcomes: Outcome[]) {
  const watermarks = new Map<string, Watermark>();
  if (ready.length > 0) {
    const keys = ready.map((work) => work.events[0]!);
    for (const watermark of await ctx.store.getWatermarks(keys)) watermarks.set(entityKeyString(watermark), watermark);
  }
  const toHandle: HandleWork[] = [];
  for (const { events, fetch } of ready) {
    const sorted = [...events].sort(compareEvents);
    const newest = sorted[sorted.length - 1]!;
    const resource = { data: fetch.data, downloadedAt: fetch.downloadedAt };
    for (const older of sorted.slice(0, -1)) outcomes.push(stale(ctx, older, startedAt, supersededInBatch(newest), resource));
    const verdict = judgeAgainstWatermark(newest, fetch.downloadedAt, watermarks.get(entityKeyString(newest)));
    if (verdict) outcomes.push(stale(ctx, newest, startedAt, verdict, resource));
    else toHandle.push({ event: newest, data: fetch.data, downloadedAt: fetch.downloadedAt, note: fetch.note ?? null });
  }
  return toHandle;
}

/** One entity's newest event and its data; `note` tells how a second read settled its record. */
interface HandleWork {
  readonly event: ClaimedEvent;
  readonly data: unknown;
  readonly downloadedAt: Date;
  readonly note: string | null;
}

async function handle(ctx: ProcessingContext, work: HandleWork, outcomes: Outcome[]): Promise<void> {
  const { event } = work;
  const handler = ctx.handlerFor(event.integration, event.entityType);
  const resource = { data: work.data, downloadedAt: work.downloadedAt };
  const attemptStart = ctx.clock.now();
  if (!handler) {
    outcomes.push(failure(ctx, event, attemptStart, `no handler for ${event.integration}/${event.entityType}`, false, resource));
    return;
  }
  const inboxEvent = toInboxEvent(event, work.data, work.downloadedAt);
  try {
    if (ctx.transactionalHandler && ctx.store.transaction) {
      const success = await ctx.store.transaction(async (transaction) => {
        await runHandler(ctx, handler, inboxEvent, transaction);
        const outcome = succeeded(ctx, event, attemptStart, resource, work.note);
        const [finished] = await ctx.store.finishAttempts([outcome.input], transaction);
        // Another worker owns the event now: roll the host's writes back with ours.
        if (!finished) throw new LeaseLostError();
        return outcome;
      });
      // Already written with the host's transaction: announce only.
      success.announce(applyFinish(event, success.input), attemptOf(event, success.input));
      return;
    }
    await runHandler(ctx, handler, inboxEvent, undefined);
    outcomes.push(succeeded(ctx, event, attemptStart, resource, work.note));
  } catch (error) {
    if (error instanceof LeaseLostError) lostLease(ctx, event);
    // Stopped mid-attempt: not the event's fault. Hand it back, due now, with nothing spent.
    else if (ctx.signal.aborted) outcomes.push(release(ctx, event, ctx.clock.now()));
    else outcomes.push(failure(ctx, event, attemptStart, describeError(error), true, resource));
  }
}

/** The lease was lost before a transactional finish: the transaction must roll back. */
class LeaseLostError extends Error {
  override name = "LeaseLostError";
}

/**
 * Runs one handler, ended by its timeout or by stop() even when it ignores its signal. With a
 * transaction, a cut-short handler is still waited for (up to one more timeout) before the
 * transaction ends, so its late writes cannot land after the rollback or in another transaction.
 */
export async function runHandler(
  ctx: Pick<ProcessingContext, "signal" | "handlerTimeoutMs">,
  handler: EventHandler,
  event: InboxEvent,
  transaction: unknown,
): Promise<void> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let stopListener = () => {};
  const cutShort = new Promise<never>((_, reject) => {
    const end = (error: unknown) => {
      controller.abort(error);
      reject(error);
    };
    stopListener = () => end(ctx.signal.reason);
    if (ctx.signal.aborted) stopListener();
    else ctx.signal.addEventListener("abort", stopListener, { once: true });
    timer = setTimeout(() => end(new WebhookInboxError("HANDLER_TIMEOUT", `handler timed out after ${ctx.handlerTimeoutMs} ms`)), ctx.handlerTimeoutMs);
  });
  const context = transaction === undefined ? { signal: controller.signal } : { signal: controller.signal, transaction };
  const running = Promise.resolve().then(() => handler(event, context));
  try {
    await Promise.race([running, cutShort]);
  } catch (error) {
    if (transaction !== undefined) await settleWithin(running, ctx.handlerTimeoutMs);
    throw error;
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener("abort", stopListener);
  }
}

/** Waits for `work` to settle, at most `ms`; its outcome is ignored (the attempt already failed). */
async function settleWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([work.then(noop, noop), limit]);
  clearTimeout(timer);
}

const noop = () => {};

/** Writes every outcome in one store call, then announces what was written. */
async function record(ctx: ProcessingContext, outcomes: Outcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  const inputs = outcomes.map((outcome) => outcome.input);
  // One retry for a passing store fault: the alternative is redoing the work after the leases expire.
  const results = await ctx.store.finishAttempts(inputs).catch(() => ctx.store.finishAttempts(inputs));
  outcomes.forEach((outcome, index) => {
    if (results[index]) outcome.announce(applyFinish(outcome.event, outcome.input), attemptOf(outcome.event, outcome.input));
    else lostLease(ctx, outcome.event);
  });
}

function lostLease(ctx: ProcessingContext, event: ClaimedEvent): void {
  ctx.logger.warn("lost the lease on an event before finishing it; another worker owns it now", { eventId: event.id });
}

function base(event: ClaimedEvent, now: Date) {
  return { eventId: event.id, leaseToken: event.leaseToken, now };
}

function attemptFields(event: ClaimedEvent, startedAt: Date, endedAt: Date, outcome: AttemptOutcome, error: string | null) {
  return { trigger: event.nextTrigger, startedAt, endedAt, outcome, error };
}

/** Automatic attempts spent after one more attempt by this event's trigger (manual ones are free). */
function spent(event: ClaimedEvent): number {
  return event.attemptsMade + (event.nextTrigger === "manual" ? 0 : 1);
}

/** `note`: kept in the attempt's message, e.g. that a record left out of the batch answer was confirmed missing. */
function succeeded(ctx: ProcessingContext, event: ClaimedEvent, startedAt: Date, resource: { data: unknown; downloadedAt: Date }, note: string | null): Outcome {
  const now = ctx.clock.now();
  const input: FinishAttemptInput = {
    ...base(event, now),
    attempt: attemptFields(event, startedAt, now, "succeeded", note),
    status: "succeeded",
    attemptsMade: spent(event),
    nextAttemptAt: null,
    nextTrigger: event.nextTrigger,
    lastError: null,
    resource,
    watermark: {
      integration: event.integration,
      tenantId: event.tenantId,
      entityType: event.entityType,
      entityId: event.entityId,
      occurredAt: event.occurredAt,
      eventId: event.id,
      downloadedAt: resource.downloadedAt,
    },
  };
  return {
    event,
    input,
    announce: (record, attempt) =>
      ctx.emit("event:processed", { event: record, attempt: attempt!, durationMs: now.getTime() - startedAt.getTime() }),
  };
}

/** A failed attempt: retried with backoff while automatic attempts remain, else `failed`. */
function failure(
  ctx: ProcessingContext,
  event: ClaimedEvent,
  startedAt: Date,
  error: string,
  retryable: boolean,
  resource?: { data: unknown; downloadedAt: Date },
): Outcome {
  const now = ctx.clock.now();
  const attemptsMade = spent(event);
  const exhausted = !retryable || attemptsMade >= event.maxAttempts;
  const nextAttemptAt = exhausted ? null : new Date(now.getTime() + Math.max(0, ctx.retryDelay(attemptsMade)));
  const input: FinishAttemptInput = {
    ...base(event, now),
    attempt: attemptFields(event, startedAt, now, "failed", error),
    status: exhausted ? "failed" : "retrying",
    attemptsMade,
    nextAttemptAt,
    nextTrigger: "scheduler",
    lastError: error,
    ...(resource ? { resource } : {}),
  };
  return {
    event,
    input,
    announce: (record, attempt) => {
      ctx.emit("event:failed", { event: record, attempt: attempt!, error });
      if (nextAttemptAt) {
        ctx.emit("event:retry-scheduled", { event: record, nextAttemptAt, attemptsRemaining: Math.max(0, event.maxAttempts - attemptsMade) });
      } else ctx.emit("event:exhausted", { event: record, error });
    },
  };
}

function stale(
  ctx: ProcessingContext,
  event: ClaimedEvent,
  startedAt: Date,
  verdict: { supersededBy: string; reason: string },
  resource: { data: unknown; downloadedAt: Date },
): Outcome {
  const now = ctx.clock.now();
  const input: FinishAttemptInput = {
    ...base(event, now),
    attempt: attemptFields(event, startedAt, now, "stale", verdict.reason),
    status: "stale",
    attemptsMade: event.attemptsMade,
    nextAttemptAt: null,
    nextTrigger: event.nextTrigger,
    lastError: null,
    supersededBy: verdict.supersededBy,
    resource,
  };
  return { event, input, announce: (record) => ctx.emit("event:stale", { event: record, ...verdict }) };
}

/** Gives a claimed event back unattempted, due at `at` (our limiter said wait, or the inbox is stopping). */
function release(ctx: ProcessingContext, event: ClaimedEvent, at: Date): Outcome {
  return {
    event,
    input: {
      ...base(event, ctx.clock.now()),
      attempt: null,
      status: event.attemptsMade > 0 ? "retrying" : "queued",
      attemptsMade: event.attemptsMade,
      nextAttemptAt: at,
      nextTrigger: event.nextTrigger === "manual" ? "manual" : "scheduler",
      lastError: event.lastError,
    },
    announce: () => {},
  };
}

/** The entity was not downloaded: a fetch error, our limiter's "wait", or the provider's throttle. */
function notFetched(ctx: ProcessingContext, event: ClaimedEvent, startedAt: Date, fetch: Exclude<EntityFetch, { kind: "resource" }>): Outcome {
  // Stopped mid-download: hand the event back unspent, as for a handler cut short by stop().
  if (ctx.signal.aborted) return release(ctx, event, ctx.clock.now());
  if (fetch.kind === "error") return failure(ctx, event, startedAt, fetch.error, fetch.retryable);
  // Our own limiter: nothing was attempted, the event just waits for its slot.
  if (fetch.kind === "deferred") return release(ctx, event, fetch.retryAt);
  const now = ctx.clock.now();
  const waiting = event.attemptsMade > 0 ? "retrying" : "queued";
  // A throttle spends no automatic attempt, unless the event has waited past the maximum age.
  // Measured from arrival; a manual retry is the operator's call, so it is never cut short this way.
  if (event.nextTrigger !== "manual" && now.getTime() - event.receivedAt.getTime() > ctx.maxRateLimitWaitMs) {
    return failure(ctx, event, startedAt, `still rate limited after waiting ${ctx.maxRateLimitWaitMs} ms in all`, true);
  }
  const error = `rate limited by the provider${fetch.limit ? ` (${fetch.limit} limit)` : ""}; retrying after ${fetch.retryAfterMs} ms`;
  return {
    event,
    input: {
      ...base(event, now),
      attempt: attemptFields(event, startedAt, now, "rate_limited", error),
      status: waiting,
      attemptsMade: event.attemptsMade,
      nextAttemptAt: fetch.retryAt,
      nextTrigger: event.nextTrigger === "manual" ? "manual" : "scheduler",
      lastError: event.lastError,
    },
    announce: (record) =>
      ctx.emit("event:rate-limited", { event: record, tenantId: event.tenantId, retryAfterMs: fetch.retryAfterMs, limit: fetch.limit }),
  };
}

function applyFinish(event: ClaimedEvent, input: FinishAttemptInput): EventRecord {
  const { leaseToken: _leaseToken, ...record } = event;
  return {
    ...record,
    status: input.status,
    attemptsMade: input.attemptsMade,
    attemptsFinished: event.attemptsFinished + 1,
    nextAttemptAt: input.nextAttemptAt ?? event.nextAttemptAt,
    nextTrigger: input.nextTrigger,
    lastError: input.lastError,
    supersededBy: input.supersededBy ?? event.supersededBy,
    updatedAt: input.now,
  };
}

/** The attempt as announced; its number counts claims, the same figure the handler saw as `attempt`. */
function attemptOf(event: ClaimedEvent, input: FinishAttemptInput): AttemptRecord | null {
  return input.attempt ? { eventId: input.eventId, number: event.attemptsStarted, ...input.attempt } : null;
}

export function toInboxEvent(event: EventRecord, resource: unknown, downloadedAt: Date): InboxEvent {
  return {
    id: event.id,
    integration: event.integration,
    tenantId: event.tenantId,
    entityType: event.entityType,
    entityId: event.entityId,
    operation: event.operation,
    occurredAt: event.occurredAt,
    resource: resource ?? null,
    deliveryId: event.deliveryId,
    provider: event.provider,
    receivedAt: event.receivedAt,
    downloadedAt,
    trigger: event.nextTrigger,
    attempt: event.attemptsStarted,
    payload: event.payload,
  };
}

export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
