// The PostgreSQL claim: per-entity advisory locks, then the lease, inside the caller's transaction.
import type { ClaimDueInput, ClaimResult, ClaimedEvent, EventRecord, GroupClaimOptions } from "../../src/index.ts";
import { planGroupClaim, type DueGroup } from "../../src/store-kit/index.ts";
import type { PgClientLike } from "./pg-like.ts";
import type { Queries } from "./queries.ts";
import { rowToEvent, type Row } from "./rows.ts";

// poisonMessage() is the core's wording; SQL swaps this number for the real count so every
// store records the same text.
export const POISON_COUNT_PLACEHOLDER = 987_654_321;

// Bounds one claim's lock-and-lease rounds (each passes over the entities of the rounds before).
const MAX_CLAIM_ROUNDS = 8;

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
  // Entities whose locks this claim took: a later round passes them over (the lock is re-entrant).
  const tried = new Set<number>();
  // Claim again for the slots a round left unused, so `limit` counts leased events only (as in
  // MemoryStore): slots taken by poison events, and by entities whose lock was granted only once another
  // claim committed them (the lock statement's snapshot, older than that commit, still showed them due).
  for (let round = 0; round < MAX_CLAIM_ROUNDS; round += 1) {
    const left = input.limit - events.length;
    const lockValues: unknown[] = [input.now, left, [...tried]];
    if (input.ids) lockValues.push([...input.ids]);
    const { rows: locked } = await client.query(lockSql, lockValues);
    if (locked.length === 0) break;
    const keys = [...new Set((locked as Row[]).map((row) => row.entity_key as number))];
    for (const key of keys) tried.add(key);
    const values: unknown[] = [
      input.now,
      left,
      // The lease is timed on the database's clock, not on this worker's `now`.
      Math.ceil(input.leaseMs),
      input.workerId,
      poisonTemplate,
      String(POISON_COUNT_PLACEHOLDER),
      keys,
    ];
    if (input.ids) values.push([...input.ids]);
    const { rows } = await client.query(claimSql, values);
    let leasedNow = 0;
    for (const row of rows as Row[]) {
      if (row.poison) {
        poisoned.push(rowToEvent(row));
      } else {
        events.push({ ...rowToEvent(row), leaseToken: row.lease_token as string });
        leasedNow += 1;
      }
    }
    if (events.length >= input.limit || leasedNow >= locked.length) break;
  }
  return sorted(events, poisoned);
}

/**
 * The group claim (ClaimDueInput.groups) on `client`, inside its open transaction: summarises the
 * due groups, plans with planGroupClaim, then per planned group locks its earliest-due free entities
 * (advisory locks held to COMMIT, as claimDueIn) and leases every claimable event of them.
 */
export async function claimGroupsIn(
  client: PgClientLike,
  sql: Queries,
  input: ClaimDueInput & { groups: GroupClaimOptions },
  poisonTemplate: string,
): Promise<ClaimResult> {
  const events: ClaimedEvent[] = [];
  const poisoned: EventRecord[] = [];
  const { rows: groupRows } = await client.query(sql.dueGroups, [input.now]);
  const summaries = (groupRows as Row[]).map(
    (row): DueGroup => ({
      integration: row.integration as string,
      tenantId: row.tenant_id as string,
      entityType: row.entity_type as string,
      dueAt: Number(row.due_ms),
      entities: Number(row.entities),
      events: Number(row.events),
    }),
  );
  const claimEntities = async (group: { integration: string; tenantId: string; entityType: string }, entityIds: string[]) => {
    // The lease is timed on the database's clock, not on this worker's `now`.
    const values = [
      input.now,
      group.integration,
      Math.ceil(input.leaseMs),
      input.workerId,
      poisonTemplate,
      String(POISON_COUNT_PLACEHOLDER),
      group.tenantId,
      group.entityType,
      entityIds,
    ];
    const { rows } = await client.query(sql.claimGroupEntities, values);
    for (const row of rows as Row[]) {
      if (row.poison) poisoned.push(rowToEvent(row));
      else events.push({ ...rowToEvent(row), leaseToken: row.lease_token as string });
    }
  };
  // An event with an interrupted attempt is claimed alone (with its entity's other due events).
  const { rows: suspects } = await client.query(sql.lockSuspect, [input.now]);
  const suspect = (suspects as Row[])[0];
  if (suspect) {
    const group = { integration: suspect.integration as string, tenantId: suspect.tenant_id as string, entityType: suspect.entity_type as string };
    await claimEntities(group, [suspect.entity_id as string]);
    return sorted(events, poisoned);
  }
  for (const { group, entities } of planGroupClaim(summaries, input.limit, input.groups.batchSize)) {
    const { rows: locked } = await client.query(sql.lockGroupEntities, [input.now, group.integration, group.tenantId, group.entityType, entities]);
    if (locked.length > 0)
      await claimEntities(
        group,
        (locked as Row[]).map((row) => row.entity_id as string),
      );
  }
  return sorted(events, poisoned);
}

/** RETURNING has no order; hand events out earliest-due first. */
function sorted(events: ClaimedEvent[], poisoned: EventRecord[]): ClaimResult {
  events.sort(byDueThenId);
  poisoned.sort(byDueThenId);
  return { events, poisoned };
}

function byDueThenId(a: EventRecord, b: EventRecord): number {
  return a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
