/**
 * The fake QuickBooks' ChangeDataCapture endpoint, `GET /v3/company/{realmId}/cdc?entities=…&changedSince=…`,
 * with the rules of Intuit's ChangeDataCapture page: a look-back of at most 30 days, at most 1,000 objects per
 * entity in one answer, no paging, and deleted records reported as `{ Id, status: "Deleted", MetaData }`.
 */
import type { FakeRecordStore } from "./fake-api-kit.ts";
import { fault } from "./fake-quickbooks-faults.ts";
import { updatedAt } from "./fake-quickbooks-query.ts";

/** CDC's look-back limit: "changedSince" at most 30 days back. */
export const FAKE_CDC_LOOKBACK_MS = 30 * 24 * 60 * 60_000;

export interface CdcCall {
  readonly records: FakeRecordStore<Record<string, unknown>>;
  readonly realmId: string;
  readonly url: URL;
  /** The fake's time of the call (ms). */
  readonly at: number;
  /** Objects per entity one answer holds at most. */
  readonly maxObjects: number;
}

/**
 * The answer to one CDC call. Intuit does not say which objects a full answer keeps; this fake keeps the
 * ones changed earliest (by `MetaData.LastUpdatedTime`, then id), so a client that asks again from the
 * newest time it was given sees the rest, and one that takes a full answer as complete misses records.
 */
export function answerCdc(call: CdcCall): { status: number; body: unknown } {
  const time = new Date(call.at).toISOString();
  const entities = (call.url.searchParams.get("entities") ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const since = Date.parse(call.url.searchParams.get("changedSince") ?? "");
  if (entities.length === 0 || Number.isNaN(since)) {
    return { status: 400, body: { ...fault("ValidationFault", "Invalid Request", "entities and changedSince are required", "2010"), time } };
  }
  if (call.at - since > FAKE_CDC_LOOKBACK_MS) {
    // The exact fault Intuit answers is not published; the fake answers a ValidationFault naming the rule.
    return { status: 400, body: { ...fault("ValidationFault", "Invalid changedSince", "changedSince cannot be more than 30 days in the past", "2010"), time } };
  }
  const responses = entities.map((entity) => {
    const changed = call.records
      .list(call.realmId, entity)
      .filter((row) => updatedAt(row) >= since)
      .map((row) => ({ at: updatedAt(row), id: String(row.Id), row: row as unknown }));
    const deleted = call.records
      .deleted(call.realmId, entity)
      .filter((gone) => gone.at >= since)
      .map((gone) => ({
        at: gone.at,
        id: gone.id,
        row: { domain: "QBO", status: "Deleted", Id: gone.id, MetaData: { LastUpdatedTime: new Date(gone.at).toISOString() } } as unknown,
      }));
    const rows = [...changed, ...deleted]
      .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, call.maxObjects)
      .map((item) => item.row);
    const name = entity.charAt(0).toUpperCase() + entity.slice(1);
    return rows.length === 0 ? {} : { [name]: rows, startPosition: 1, maxResults: rows.length, totalCount: rows.length };
  });
  return { status: 200, body: { CDCResponse: [{ QueryResponse: responses }], time } };
}
