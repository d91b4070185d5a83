// One reconciliation run of one tenant: each entity type's window asked call by call under the budget share, stored, then the watermark moved.
import type { ChangesAnswer, ProviderAdapter, ProviderChange } from "../../contracts/provider-adapter.ts";
import type { ReconcilePath, ReconcileRun, ReconcileWindow } from "../../contracts/reconciliation-store.ts";
import { RateLimitedError, describeError, isWebhookInboxError } from "../../errors.ts";
import { createId } from "../../ids.ts";
import { storeChanges } from "./change-events.ts";
import type { ResolvedReconcileOptions } from "./options.ts";
import type { ReconcileContext } from "./reconcile-context.ts";

/** What one call under the limiter came to. */
type Call =
  | { readonly kind: "answer"; readonly answer: ChangesAnswer; readonly at: Date; readonly downloadSequence: number | undefined }
  | { readonly kind: "wait"; readonly retryAt: Date; readonly why: string }
  | { readonly kind: "error"; readonly error: string };

/** How a run ended, when it ended early. */
type Ending = Pick<ReconcileRun, "status" | "resumeAt" | "error" | "resume">;

/** A run's counters as it goes. */
interface Tally {
  windows: ReconcileWindow[];
  found: number;
  alreadyApplied: number;
  new: number;
  calls: number;
  deliveryIds: string[];
  notes: string[];
}

/**
 * Reconciles one tenant of one integration, or resolves `null` when another instance holds its lease.
 * Each provider answer's changes are stored before the entity type's watermark moves (to the end of the
 * window once it is complete, or to the answer's `completeThrough`), so a crash repeats, never skips.
 * When the budget share (or a throttle) says wait, the run ends `deferred` with `resumeAt`.
 */
export async function reconcileTenant(
  ctx: ReconcileContext,
  integrationId: string,
  tenantId: string,
  trigger: ReconcileRun["trigger"],
): Promise<ReconcileRun | null> {
  const integration = ctx.integration(integrationId)!;
  const options = integration.reconcile!;
  const startedAt = ctx.clock.now();
  const lease = { integration: integrationId, tenantId, holder: ctx.workerId };
  if (!(await ctx.reconciliation.acquireLease({ ...lease, now: startedAt, leaseMs: options.leaseMs }))) return null;
  const base: ReconcileRun = {
    id: createId(startedAt.getTime()),
    integration: integrationId,
    tenantId,
    trigger,
    startedAt,
    endedAt: null,
    status: "running",
    resumeAt: null,
    windows: [],
    found: 0,
    alreadyApplied: 0,
    new: 0,
    calls: 0,
    deliveryIds: [],
    notes: [],
    error: null,
  };
  const tally: Tally = { windows: [], found: 0, alreadyApplied: 0, new: 0, calls: 0, deliveryIds: [], notes: [] };
  let ending: Ending = { status: "succeeded", resumeAt: null, error: null, resume: null };
  try {
    await ctx.reconciliation.saveRun(base);
    const marks = new Map((await ctx.reconciliation.getWatermarks({ integration: integrationId, tenantId })).map((mark) => [mark.entityType, mark]));
    // A deferred run left a window half asked: go on from its cursor rather than from the watermark.
    const [last] = await ctx.reconciliation
      .listRuns({ integration: integrationId, tenantId, limit: 2 })
      .then((runs) => runs.filter((run) => run.id !== base.id));
    const resume = last?.status === "deferred" ? (last.resume ?? null) : null;
    for (const entityType of options.entityTypes) {
      if (integration.provider.reconciles?.(entityType) === false) {
        tally.notes.push(`${entityType}: the ${integration.provider.name} provider cannot list its changes; not reconciled`);
        continue;
      }
      const mark = marks.get(entityType);
      const since = mark ? new Date(mark.changedThrough.getTime() - options.overlapMs) : new Date(startedAt.getTime() - options.firstLookbackMs);
      const window =
        resume?.entityType === entityType
          ? { since: new Date(resume.since), until: new Date(resume.until), cursor: resume.cursor }
          : { since, until: startedAt, cursor: null as unknown };
      const outcome = await reconcileWindow(ctx, { integrationId, tenantId, entityType, ...window, runId: base.id, options }, tally);
      if (outcome) {
        ending = outcome;
        break;
      }
    }
  } catch (error) {
    ending = { status: "failed", resumeAt: null, error: describeError(error), resume: null };
  } finally {
    await ctx.reconciliation.releaseLease(lease).catch((error: unknown) => {
      // The lease expires by itself after leaseMs; the run's outcome stands.
      ctx.logger.warn("could not release the reconciliation lease; it expires on its own", {
        integration: integrationId,
        tenantId,
        error: describeError(error),
      });
    });
  }
  const run: ReconcileRun = { ...base, ...tally, ...ending, endedAt: ctx.clock.now() };
  await ctx.reconciliation.saveRun(run).catch((error: unknown) => {
    // The events and watermarks are stored; only the log row is missing. Said in the log instead.
    ctx.logger.error("could not save the reconciliation run", { runId: run.id, error: describeError(error) });
  });
  ctx.finished(run);
  return run;
}

interface WindowInput {
  readonly integrationId: string;
  readonly tenantId: string;
  readonly entityType: string;
  readonly since: Date;
  readonly until: Date;
  /** Where the window goes on (a deferred run's cursor), or `null` from its start. */
  readonly cursor: unknown;
  readonly runId: string;
  readonly options: ResolvedReconcileOptions;
}

/** Asks one entity type's window call by call; resolves how the run must end early, or `null` when the window is done. */
async function reconcileWindow(ctx: ReconcileContext, input: WindowInput, tally: Tally): Promise<Ending | null> {
  const integration = ctx.integration(input.integrationId)!;
  const provider = integration.provider;
  const mode = ctx.effectiveMode(input.integrationId);
  const window: { -readonly [K in keyof ReconcileWindow]: ReconcileWindow[K] } = {
    entityType: input.entityType,
    from: input.since,
    to: input.until,
    path: "cdc" as ReconcilePath,
    found: 0,
    calls: 0,
  };
  tally.windows.push(window);
  // What this window listed already: a split re-lists the records changed at the split instant.
  const listed = new Map<string, number>();
  let cursor: unknown = input.cursor;
  for (;;) {
    const call = await callProvider(ctx, provider, input, cursor);
    if (call.kind === "wait") {
      tally.notes.push(`${input.entityType}: ${call.why}; resumes at ${call.retryAt.toISOString()}`);
      const resume = { entityType: input.entityType, since: input.since.toISOString(), until: input.until.toISOString(), cursor };
      return { status: "deferred", resumeAt: call.retryAt, error: null, resume };
    }
    if (call.kind === "error") return { status: "failed", resumeAt: null, error: `${input.entityType}: ${call.error}`, resume: null };
    const { answer } = call;
    window.calls += 1;
    tally.calls += 1;
    window.path = answer.path;
    if (answer.note) tally.notes.push(answer.note);
    const changes = newChanges(answer.changes, input.until, listed);
    window.found += changes.length;
    if (changes.length > 0) {
      const stored = await storeChanges(ctx.store, {
        runId: input.runId,
        integration: input.integrationId,
        provider,
        tenantId: input.tenantId,
        entityType: input.entityType,
        path: answer.path,
        changes,
        downloadedAt: call.at,
        downloadSequence: call.downloadSequence,
        now: ctx.clock.now(),
        mode: mode === "direct" ? "immediate" : mode,
        maxAttempts: integration.maxAttempts ?? ctx.maxAttempts,
      });
      tally.found += changes.length;
      tally.alreadyApplied += stored.alreadyApplied;
      tally.new += stored.new;
      tally.deliveryIds.push(stored.deliveryId);
      ctx.wake();
    }
    // Stored first, then the watermark: a crash between the two repeats these changes, never skips them.
    const through = answer.next === null ? input.until : answer.completeThrough && answer.completeThrough < input.until ? answer.completeThrough : null;
    if (through) {
      await ctx.reconciliation.advanceWatermarks([
        { integration: input.integrationId, tenantId: input.tenantId, entityType: input.entityType, changedThrough: through },
      ]);
    }
    if (answer.next === null) return null;
    cursor = answer.next;
  }
}

/** The answer's changes up to `until`, one per record (its newest), leaving out what this window listed already. */
function newChanges(changes: readonly ProviderChange[], until: Date, listed: Map<string, number>): ProviderChange[] {
  const newest = new Map<string, ProviderChange>();
  for (const change of changes) {
    const at = change.occurredAt.getTime();
    if (at > until.getTime()) continue;
    if ((listed.get(change.entityId) ?? Number.NEGATIVE_INFINITY) >= at) continue;
    const known = newest.get(change.entityId);
    if (!known || known.occurredAt.getTime() < at) newest.set(change.entityId, change);
  }
  for (const change of newest.values()) listed.set(change.entityId, change.occurredAt.getTime());
  return [...newest.values()];
}

/** One `listChanges` call through the tenant's concurrency gate, the budget share and the provider's throttle. */
async function callProvider(ctx: ReconcileContext, provider: ProviderAdapter, input: WindowInput, cursor: unknown): Promise<Call> {
  const { limiter } = ctx;
  const gate = limiter.gate(provider.name, provider.limits, input.tenantId);
  const share = input.options.budgetShare;
  return gate(async (): Promise<Call> => {
    const now = ctx.clock.now().getTime();
    const shareAt = ctx.shares.availableAt(provider.name, provider.limits, input.tenantId, share, now);
    if (shareAt > now) return { kind: "wait", retryAt: new Date(shareAt), why: `reconciliation's budget share (${share}) is spent for now` };
    const reservation = await limiter.reserve(provider.name, provider.limits, input.tenantId, ctx.fetchTimeoutMs);
    if (!reservation.ok) return { kind: "wait", retryAt: reservation.retryAt, why: "the tenant's rate budget is spent for now" };
    const endShare = ctx.shares.start(provider.name, provider.limits, input.tenantId, share);
    const timeout = AbortSignal.timeout(ctx.fetchTimeoutMs);
    try {
      // Taken before asking, as a pass takes its own before downloading: data applied later outranks this answer's.
      const downloadSequence = ctx.store.nextDownloadSequence ? await ctx.store.nextDownloadSequence() : undefined;
      const answer = await provider.listChanges!({
        tenantId: input.tenantId,
        entityType: input.entityType,
        since: input.since,
        until: input.until,
        cursor,
        now: ctx.clock.now(),
        signal: AbortSignal.any([ctx.signal(), timeout]),
        observe: (observation) => limiter.observe(provider.name, provider.limits, input.tenantId, observation),
      });
      return { kind: "answer", answer, at: ctx.clock.now(), downloadSequence };
    } catch (error) {
      if (error instanceof RateLimitedError || (isWebhookInboxError(error) && error.code === "RATE_LIMITED")) {
        const rate = error as RateLimitedError;
        const retryAt = new Date(ctx.clock.now().getTime() + Math.max(0, rate.retryAfterMs ?? provider.limits.defaultRetryAfterMs));
        await limiter.pause(provider.name, provider.limits, input.tenantId, rate.scope ?? "tenant", retryAt, {
          status: rate.status,
          limit: rate.limit ?? null,
          message: rate.message,
        });
        return { kind: "wait", retryAt, why: `the provider throttled the call (${rate.message})` };
      }
      return { kind: "error", error: timeout.aborted ? `provider request timed out after ${ctx.fetchTimeoutMs} ms` : describeError(error) };
    } finally {
      endShare(ctx.clock.now().getTime());
      await reservation.end();
    }
  });
}
