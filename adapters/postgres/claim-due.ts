// The PostgreSQL claim: per-entity advisory locks, then the lease, inside the caller's transaction.
import type { ClaimDueInput, ClaimResult, ClaimedEvent, EventRecord } from "../../src/index.ts";
import type { PgClientLike } from "./pg-like.ts";
import type { Queries } from "./queries.ts";
import { rowToEvent, type Row } from "./rows.ts";

// poisonMessage() is the core's wording; SQL swaps this number for the real count so every
// store records the same text.
export const POISON_COUNT_PLACEHOLDER = 987_654_321;

/**
 * Claims due events on `client`, whose transaction must stay open until the claim commits: the entity
 * locks taken by the first statement are held to the commit, so no other worker can claim those
 * entities in between (one holder per entity).
 */
export async function claimDueIn(client: PgClientLike, sql: Queries, input: ClaimDueInput, poisonTemplate: string): Promise<ClaimResult> {
  const events: ClaimedEvent[] = [];
  const poisoned: EventRecord[] = [];
  const lockSql = sql.lockDueEntities(input.ids !== undefined);
  const claimSql = sql.claimDue(input.ids !== undefined);
  // Poison events take a slot in the claim's LIMIT but are not handed out: claim again for the
  // slots they used, so `limit` counts leased events only (as in MemoryStore).
  for (;;) {
    const left = input.limit - events.length;
    const lockValues: unknown[] = [input.now, left];
    if (input.ids) lockValues.push([...input.ids]);
    const { rows: locked } = await client.query(lockSql, lockValues);
    if (locked.length === 0) break;
    const values: unknown[] = [
      input.now,
      left,
      // The lease is timed on the database's clock, not on this worker's `now`.
      Math.ceil(input.leaseMs),
      input.workerId,
      poisonTemplate,
      String(POISON_COUNT_PLACEHOLDER),
      [...new Set((locked as Row[]).map((row) => row.entity_key as number))],
    ];
    if (input.ids) values.push([...input.ids]);
    const { rows } = await client.query(claimSql, values);
    let poisonedNow = 0;
    for (const row of rows as Row[]) {
      if (row.poison) {
        poisoned.push(rowToEvent(row));
        poisonedNow += 1;
      } else {
        events.push({ ...rowToEvent(row), leaseToken: row.lease_token as string });
      }
    }
    if (poisonedNow === 0 || events.length >= input.limit) break;
  }
  // RETURNING has no order; hand events out earliest-due first.
  events.sort(byDueThenId);
  poisoned.sort(byDueThenId);
  return { events, poisoned };
}

function byDueThenId(a: EventRecord, b: EventRecord): number {
  return a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
