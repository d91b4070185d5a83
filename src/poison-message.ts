// The wording of a poison event's error: the core's, recorded the same by every store.
import type { EventRecord } from "./types.ts";

/**
 * The message every store records for a poison event (claimed `maxAttempts` times without one
 * finish), so operators see one wording whatever the store. A store that marks poison events in SQL
 * passes this text in as a parameter; it never words the message itself.
 */
export function poisonMessage(event: Pick<EventRecord, "attemptsStarted" | "attemptsFinished">): string {
  const interrupted = event.attemptsStarted - event.attemptsFinished;
  return `${interrupted} attempt(s) started but never finished (the process died or lost its lease); not retried automatically`;
}
