// The attempt transitions: what one verdict on a claimed event writes, and what it announces, as pure functions.
import type { ClaimedEvent, FinishAttemptInput } from "../../contracts/webhook-store.ts";
import type { AttemptOutcome } from "../../types.ts";

/** A record as downloaded: its data (`null` when gone), when, and the pass's store-assigned download sequence. */
export interface Resource {
  readonly data: unknown;
  readonly downloadedAt: Date;
  readonly downloadSequence?: number | undefined;
}

/** What happened to a claimed event in this pass. */
export type Verdict =
  /** `note`: kept in the attempt's message, e.g. that a record left out of the batch answer was confirmed missing. */
  | { readonly kind: "succeeded"; readonly startedAt: Date; readonly resource: Resource; readonly note: string | null }
  /** `retryable: false` ends the event at once (no handler, unknown integration, a permanent fetch error). */
  | { readonly kind: "failed"; readonly startedAt: Date; readonly error: string; readonly retryable: boolean; readonly resource?: Resource }
  | { readonly kind: "stale"; readonly startedAt: Date; readonly supersededBy: string; readonly reason: string; readonly resource: Resource }
  /** Handed back unattempted, due at `at`: our limiter said wait, the lease is too short to start, the inbox is stopping, or (`reason`) the tenant needs re-authorisation. */
  | { readonly kind: "released"; readonly at: Date; readonly reason?: string }
  /** The provider throttled the download. */
  | { readonly kind: "rate-limited"; readonly startedAt: Date; readonly retryAt: Date; readonly retryAfterMs: number; readonly limit: string | undefined };

/** The inbox's retry rules a transition applies. */
export interface TransitionPolicy {
  /** Delay before automatic retry number `attempt` (attempts spent so far). */
  readonly retryDelay: (attempt: number) => number;
  /** How long since arrival a throttled event may wait before a throttle spends an attempt. */
  readonly maxRateLimitWaitMs: number;
}

/** A lifecycle event to emit once the finish is written (its record and attempt are added then). */
export type Announcement =
  | { readonly name: "event:processed"; readonly durationMs: number }
  | { readonly name: "event:failed"; readonly error: string }
  | { readonly name: "event:retry-scheduled"; readonly nextAttemptAt: Date; readonly attemptsRemaining: number }
  | { readonly name: "event:exhausted"; readonly error: string }
  | { readonly name: "event:stale"; readonly supersededBy: string; readonly reason: string }
  | { readonly name: "event:rate-limited"; readonly tenantId: string; readonly retryAfterMs: number; readonly limit: string | undefined };

export interface Transition {
  readonly finish: FinishAttemptInput;
  readonly announcements: readonly Announcement[];
}

/** The finish to write for `event` under `verdict` at `now`, and what to announce once it is written. */
export function transition(event: ClaimedEvent, verdict: Verdict, policy: TransitionPolicy, now: Date): Transition {
  switch (verdict.kind) {
    case "succeeded":
      return succeeded(event, verdict, now);
    case "failed":
      return failed(event, verdict, policy, now);
    case "stale":
      return stale(event, verdict, now);
    case "released":
      return released(event, verdict.at, now, verdict.reason);
    case "rate-limited":
      return rateLimited(event, verdict, policy, now);
  }
}

function succeeded(event: ClaimedEvent, verdict: Extract<Verdict, { kind: "succeeded" }>, now: Date): Transition {
  const { resource } = verdict;
  return {
    finish: {
      ...identity(event, now),
      attempt: attempt(event, verdict.startedAt, now, "succeeded", verdict.note),
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
        ...(resource.downloadSequence === undefined ? {} : { downloadSequence: resource.downloadSequence }),
      },
    },
    announcements: [{ name: "event:processed", durationMs: now.getTime() - verdict.startedAt.getTime() }],
  };
}

/** Retried with backoff while automatic attempts remain and the failure is retryable, else `failed`. */
function failed(event: ClaimedEvent, verdict: Extract<Verdict, { kind: "failed" }>, policy: TransitionPolicy, now: Date): Transition {
  const attemptsMade = spent(event);
  const exhausted = !verdict.retryable || attemptsMade >= event.maxAttempts;
  const nextAttemptAt = exhausted ? null : new Date(now.getTime() + Math.max(0, policy.retryDelay(attemptsMade)));
  const { error } = verdict;
  return {
    finish: {
      ...identity(event, now),
      attempt: attempt(event, verdict.startedAt, now, "failed", error),
      status: exhausted ? "failed" : "retrying",
      attemptsMade,
      nextAttemptAt,
      nextTrigger: "scheduler",
      lastError: error,
      ...(verdict.resource ? { resource: verdict.resource } : {}),
    },
    announcements: [
      { name: "event:failed", error },
      nextAttemptAt
        ? { name: "event:retry-scheduled", nextAttemptAt, attemptsRemaining: Math.max(0, event.maxAttempts - attemptsMade) }
        : { name: "event:exhausted", error },
    ],
  };
}

function stale(event: ClaimedEvent, verdict: Extract<Verdict, { kind: "stale" }>, now: Date): Transition {
  return {
    finish: {
      ...identity(event, now),
      attempt: attempt(event, verdict.startedAt, now, "stale", verdict.reason),
      status: "stale",
      attemptsMade: event.attemptsMade,
      nextAttemptAt: null,
      nextTrigger: event.nextTrigger,
      lastError: null,
      supersededBy: verdict.supersededBy,
      resource: verdict.resource,
    },
    announcements: [{ name: "event:stale", supersededBy: verdict.supersededBy, reason: verdict.reason }],
  };
}

/** Nothing was attempted: nothing is spent, recorded or announced. */
function released(event: ClaimedEvent, at: Date, now: Date, reason?: string): Transition {
  return {
    finish: {
      ...identity(event, now),
      attempt: null,
      status: waitingStatus(event),
      attemptsMade: event.attemptsMade,
      nextAttemptAt: at,
      nextTrigger: event.nextTrigger === "manual" ? "manual" : "scheduler",
      lastError: reason ?? event.lastError,
    },
    announcements: [],
  };
}

/**
 * A throttle spends no automatic attempt, unless the event has waited past the maximum age, measured
 * from arrival. A manual retry is the operator's call, so it is never cut short this way.
 */
function rateLimited(event: ClaimedEvent, verdict: Extract<Verdict, { kind: "rate-limited" }>, policy: TransitionPolicy, now: Date): Transition {
  if (event.nextTrigger !== "manual" && now.getTime() - event.receivedAt.getTime() > policy.maxRateLimitWaitMs) {
    const error = `still rate limited after waiting ${policy.maxRateLimitWaitMs} ms in all`;
    return failed(event, { kind: "failed", startedAt: verdict.startedAt, error, retryable: true }, policy, now);
  }
  const error = `rate limited by the provider${verdict.limit ? ` (${verdict.limit} limit)` : ""}; retrying after ${verdict.retryAfterMs} ms`;
  return {
    finish: {
      ...identity(event, now),
      attempt: attempt(event, verdict.startedAt, now, "rate_limited", error),
      status: waitingStatus(event),
      attemptsMade: event.attemptsMade,
      nextAttemptAt: verdict.retryAt,
      nextTrigger: event.nextTrigger === "manual" ? "manual" : "scheduler",
      lastError: event.lastError,
    },
    announcements: [{ name: "event:rate-limited", tenantId: event.tenantId, retryAfterMs: verdict.retryAfterMs, limit: verdict.limit }],
  };
}

function identity(event: ClaimedEvent, now: Date) {
  return { eventId: event.id, leaseToken: event.leaseToken, now };
}

function attempt(event: ClaimedEvent, startedAt: Date, endedAt: Date, outcome: AttemptOutcome, error: string | null) {
  return { trigger: event.nextTrigger, startedAt, endedAt, outcome, error };
}

/** Automatic attempts spent after one more attempt by this event's trigger (manual ones are free). */
function spent(event: ClaimedEvent): number {
  return event.attemptsMade + (event.nextTrigger === "manual" ? 0 : 1);
}

function waitingStatus(event: ClaimedEvent): "retrying" | "queued" {
  return event.attemptsMade > 0 ? "retrying" : "queued";
}
