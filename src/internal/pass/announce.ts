// Announcing a written finish: the event record as it now stands, its attempt, the lifecycle events and the log line.
import type { ClaimedEvent, FinishAttemptInput } from "../../contracts/webhook-store.ts";
import type { AttemptRecord, EventRecord } from "../../types.ts";
import type { Logger } from "../../events.ts";
import type { Emit } from "../emit.ts";
import { logOutcome } from "./log-outcome.ts";
import type { Transition } from "./transitions.ts";

/** Emits a transition's announcements once its finish is written, and logs it once (see `logOutcome`). */
export function announce(ctx: { readonly emit: Emit; readonly logger: Logger }, event: ClaimedEvent, { finish, announcements }: Transition): void {
  if (announcements.length === 0) return;
  const { emit } = ctx;
  const record = applyFinish(event, finish);
  const attempt = attemptOf(event, finish);
  logOutcome(ctx.logger, record, attempt, announcements);
  for (const announcement of announcements) {
    switch (announcement.name) {
      case "event:processed":
        emit("event:processed", { event: record, attempt: attempt!, durationMs: announcement.durationMs });
        break;
      case "event:failed":
        emit("event:failed", { event: record, attempt: attempt!, error: announcement.error });
        break;
      case "event:retry-scheduled":
        emit("event:retry-scheduled", { event: record, nextAttemptAt: announcement.nextAttemptAt, attemptsRemaining: announcement.attemptsRemaining });
        break;
      case "event:exhausted":
        emit("event:exhausted", { event: record, error: announcement.error });
        break;
      case "event:stale":
        emit("event:stale", { event: record, supersededBy: announcement.supersededBy, reason: announcement.reason });
        break;
      case "event:rate-limited":
        emit("event:rate-limited", { event: record, tenantId: announcement.tenantId, retryAfterMs: announcement.retryAfterMs, limit: announcement.limit });
        break;
    }
  }
}

/** The event record after `finish` was written. */
export function applyFinish(event: ClaimedEvent, finish: FinishAttemptInput): EventRecord {
  const { leaseToken: _leaseToken, ...record } = event;
  return {
    ...record,
    status: finish.status,
    attemptsMade: finish.attemptsMade,
    attemptsFinished: event.attemptsFinished + 1,
    nextAttemptAt: finish.nextAttemptAt ?? event.nextAttemptAt,
    nextTrigger: finish.nextTrigger,
    lastError: finish.lastError,
    supersededBy: finish.supersededBy ?? event.supersededBy,
    updatedAt: finish.now,
  };
}

/** The attempt as announced; its number counts claims, the same figure the handler saw as `attempt`. */
function attemptOf(event: ClaimedEvent, finish: FinishAttemptInput): AttemptRecord | null {
  // The attempt's number: its handler's start when it started one, else the next after the finished ones (a download failure).
  return finish.attempt ? { eventId: finish.eventId, number: Math.max(event.attemptsStarted, event.attemptsFinished + 1), ...finish.attempt } : null;
}
