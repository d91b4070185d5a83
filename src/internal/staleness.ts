// The staleness guard, and the one rule for which of an entity's changes is the newest.
import type { EventRecord, Watermark } from "../types.ts";

/**
 * THE order of an entity's changes, oldest → newest: by `occurredAt`, ties broken by event id. Ids are
 * time-ordered in creation order (a delivery's changes get theirs in the order the provider listed
 * them), so among changes stamped alike the later arrival is the newer. A time that is not a number
 * counts as the earliest. Used by the pass, by `direct` mode and by every store's watermark.
 */
export function compareEvents(a: Pick<EventRecord, "occurredAt" | "id">, b: Pick<EventRecord, "occurredAt" | "id">): number {
  return timeOf(a.occurredAt) - timeOf(b.occurredAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The newest of a non-empty list of one entity's changes, by `compareEvents`. */
export function newestOf<T extends Pick<EventRecord, "occurredAt" | "id">>(changes: readonly T[]): T {
  return changes.reduce((newest, change) => (compareEvents(change, newest) > 0 ? change : newest));
}

function timeOf(date: Date): number {
  const ms = date.getTime();
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

export interface StaleVerdict {
  readonly supersededBy: string;
  readonly reason: string;
}

/** A download as the guard sees it: when (for display) and, from a store that assigns them, its sequence. */
export interface DownloadStamp {
  readonly downloadedAt: Date;
  readonly downloadSequence?: number | undefined;
}

/**
 * The staleness guard for the one event of an entity that is about to be handled, against what was
 * last applied. Stale when its data is older than the applied data, or when the change is older than
 * the applied event (whose data, downloaded after this change happened, already holds it).
 *
 * "Older data" is judged by the store-assigned download sequence when the download has one: a pass
 * takes its sequence after claiming and before downloading, so data applied with a greater sequence
 * was downloaded after this pass claimed its events, and already holds their changes. No wall clock is
 * compared, so a clock stepped back or a worker running fast cannot make the newest data stale. A mark
 * without a sequence (written before the store had them) is older than any sequenced download. Without
 * a sequence (a store that has none), download times are compared: the workers' clocks must agree.
 */
export function judgeAgainstWatermark(
  event: Pick<EventRecord, "occurredAt" | "id">,
  download: DownloadStamp,
  watermark: Watermark | undefined,
): StaleVerdict | null {
  if (!watermark) return null;
  if (olderDownload(download, watermark)) {
    const applied = watermark.downloadSequence === undefined ? "" : ` (download #${watermark.downloadSequence}; this one is #${download.downloadSequence})`;
    return {
      supersededBy: `download:${watermark.downloadedAt.toISOString()}`,
      reason: `data downloaded at ${download.downloadedAt.toISOString()} is older than data already applied (downloaded ${watermark.downloadedAt.toISOString()}${applied})`,
    };
  }
  if (compareEvents(event, { occurredAt: watermark.occurredAt, id: watermark.eventId }) < 0) {
    return {
      supersededBy: watermark.eventId,
      reason: `older than event ${watermark.eventId} (occurred ${watermark.occurredAt.toISOString()}), already applied with data downloaded after this change`,
    };
  }
  return null;
}

function olderDownload(download: DownloadStamp, watermark: Watermark): boolean {
  if (download.downloadSequence !== undefined) {
    return watermark.downloadSequence !== undefined && download.downloadSequence < watermark.downloadSequence;
  }
  return download.downloadedAt < watermark.downloadedAt;
}

/** The verdict for the older events of an entity handled once in a batch with the newest's data. */
export function supersededInBatch(newest: Pick<EventRecord, "id">): StaleVerdict {
  return { supersededBy: newest.id, reason: `superseded by newer event ${newest.id} of the same entity in the same batch` };
}

/**
 * A verdict that quotes why the stale event's `occurredAt` is not the provider's own time (e.g. a
 * CloudEvent without `time`, dated by its receipt), when its payload says so in `occurredAtNote`.
 */
export function notingEstimatedTime(verdict: StaleVerdict, event: Pick<EventRecord, "payload">): StaleVerdict {
  const note = typeof event.payload === "object" && event.payload !== null ? (event.payload as { occurredAtNote?: unknown }).occurredAtNote : undefined;
  return typeof note === "string" && note !== "" ? { ...verdict, reason: `${verdict.reason} (${note})` } : verdict;
}
