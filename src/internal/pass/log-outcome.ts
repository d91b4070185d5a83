// Logging an attempt's outcome: a failed attempt, an exhausted event, a throttle or a stale skip, once each, with what identifies the event.
import type { Logger } from "../../events.ts";
import type { AttemptRecord, EventRecord } from "../../types.ts";
import type { Announcement } from "./transitions.ts";

/** What names an event in every outcome line: enough to find it in the dashboard or the store. */
export function eventContext(event: EventRecord): Record<string, unknown> {
  return {
    integration: event.integration,
    tenantId: event.tenantId,
    entityType: event.entityType,
    entityId: event.entityId,
    eventId: event.id,
    deliveryId: event.deliveryId,
  };
}

/**
 * Writes one line for a written transition: `warn` for a failed attempt that will be retried, `error`
 * for an event out of automatic attempts, `info` for a provider throttle, `debug` for a success or a
 * stale skip (information, not trouble). The lifecycle events carry the same facts for metrics.
 */
export function logOutcome(logger: Logger, record: EventRecord, attempt: AttemptRecord | null, announcements: readonly Announcement[]): void {
  const context = eventContext(record);
  const number = attempt?.number;
  const trigger = attempt?.trigger;
  const failed = announcements.find((item) => item.name === "event:failed");
  const retry = announcements.find((item) => item.name === "event:retry-scheduled");
  const exhausted = announcements.find((item) => item.name === "event:exhausted");
  if (failed && retry) {
    const spent = `${record.attemptsMade} of ${record.maxAttempts} automatic attempts spent`;
    logger.warn(`attempt ${number} failed (${trigger}; ${spent}); retrying at ${retry.nextAttemptAt.toISOString()}: ${failed.error}`, {
      ...context,
      attempt: number,
      nextAttemptAt: retry.nextAttemptAt.toISOString(),
    });
    return;
  }
  if (exhausted) {
    const why =
      record.attemptsMade < record.maxAttempts
        ? "not retried, the error is permanent"
        : `no automatic attempts left (${record.attemptsMade} of ${record.maxAttempts} made)`;
    logger.error(`event failed, ${why}; retry it from the dashboard or with inbox.retry() once the cause is fixed: ${exhausted.error}`, {
      ...context,
      attempt: number,
    });
    return;
  }
  for (const announcement of announcements) {
    if (announcement.name === "event:rate-limited") {
      logger.info(
        `download rate limited by the provider${announcement.limit ? ` (${announcement.limit} limit)` : ""}; waiting ${announcement.retryAfterMs} ms, no attempt spent`,
        context,
      );
    } else if (announcement.name === "event:stale") {
      logger.debug(`skipped as stale (superseded by ${announcement.supersededBy}): ${announcement.reason}`, context);
    } else if (announcement.name === "event:processed") {
      logger.debug(`processed in ${announcement.durationMs} ms`, { ...context, attempt: number });
    }
  }
}
