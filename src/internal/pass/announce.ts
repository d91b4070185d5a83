// Announcing a written finish: the event record as it now stands, its attempt, and the lifecycle events.
import type { ClaimedEvent, FinishAttemptInput } from "../../contracts/webhook-store.ts";
import type { AttemptRecord, EventRecord } from "../../types.ts";
import type { Emit } from "../emit.ts";
import type { Transition } from "./transitions.ts";

/** Emits a transition's announcements once its finish is written. */
export function announce(emit: Emit, event: ClaimedEvent, { finish, announcements }: Transition): void {
  if (announcements.length === 0) return;
  const record = applyFinish(event, finish);
  const attempt = attemptOf(event, finish);
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
  return finish.attempt ? { eventId: finish.eventId, number: event.attemptsStarted, ...finish.attempt } : null;
}
