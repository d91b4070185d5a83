// The PostgreSQL claim: per-entity advisory locks, then the lease, inside the caller's transaction.
import type { ClaimDueInput, ClaimResult, ClaimedEvent, EntityGroup, EventRecord, GroupClaimOptions } from "../../src/index.ts";
import { planGroupClaimSteps, type DueGroupHead, type GroupAnswer } from "../../src/store-kit/index.ts";
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

/** Rows read per step of a group's cursor, at the least. */
const MIN_STEP = 64;

/**
 * The group claim (ClaimDueInput.groups) on `client`, inside its open transaction. An event with an
 * interrupted attempt is claimed alone (with its entity's other due events); otherwise the heads of the
 * groups with due work (a loose index scan: one probe per group), `planGroupClaimSteps`, answered by
 * reading each planned group's due events in claim order only as far as the plan takes it, then per
 * planned group the advisory locks of its first free entities (held to COMMIT, as claimDueIn; entities
 * another claim holds are passed over) and a lease on every claimable event of them. A pass reads about
 * `limit` rows plus one probe per group, whatever the backlog.
 */
export async function claimGroupsIn(
  client: PgClientLike,
  sql: Queries,
  input: ClaimDueInput & { groups: GroupClaimOptions },
  poisonTemplate: string,
): Promise<ClaimResult> {
  const events: ClaimedEvent[] = [];
  const poisoned: EventRecord[] = [];
  /** Leases every claimable event of the locked entities; returns how many of them it took. */
  const claimEntities = async (group: EntityGroup, entityIds: string[]): Promise<number> => {
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
    const taken = new Set<string>();
    for (const row of rows as Row[]) {
      taken.add(row.entity_id as string);
      if (row.poison) poisoned.push(rowToEvent(row));
      else events.push({ ...rowToEvent(row), leaseToken: row.lease_token as string });
    }
    return taken.size;
  };
  const { rows: suspects } = await client.query(sql.lockSuspect, [input.now]);
  const suspect = (suspects as Row[])[0];
  if (suspect) {
    const group = { integration: suspect.integration as string, tenantId: suspect.tenant_id as string, entityType: suspect.entity_type as string };
    await claimEntities(group, [suspect.entity_id as string]);
    return sorted(events, poisoned);
  }
  const { rows: headRows } = await client.query(sql.dueGroupHeads, [input.now]);
  const heads = (headRows as Row[]).map(
    (row): DueGroupHead => ({
      integration: row.integration as string,
      tenantId: row.tenant_id as string,
      entityType: row.entity_type as string,
      dueAt: Number(row.due_ms),
    }),
  );
  const cursors = new Map<DueGroupHead, GroupCursor>();
  const steps = planGroupClaimSteps(heads, input.limit, input.groups.batchSize);
  let step = steps.next();
  while (!step.done) {
    const { group, skip, entities } = step.value;
    let cursor = cursors.get(group);
    if (!cursor) {
      cursor = new GroupCursor(client, sql, input.now, group);
      cursors.set(group, cursor);
    }
    step = steps.next(await cursor.answer(skip, entities));
  }
  for (const { group, entities } of step.value) {
    // Entities locked but not leased (a claim committed them, or finished them, between this claim's reads)
    // leave their slots to the group's next free entities, so the batch stays whole while the group has them.
    for (let round = 0, wanted = entities; wanted > 0 && round < MAX_CLAIM_ROUNDS; round += 1) {
      const locked = await cursors.get(group)!.lock(wanted);
      if (locked.length === 0) break;
      const taken = await claimEntities(group, locked);
      wanted -= taken;
      if (taken === locked.length) break;
    }
  }
  return sorted(events, poisoned);
}

/** One claim's reading of one group: its free due events in claim order, a step at a time, entities in the order first seen. */
class GroupCursor {
  readonly #entityIds: string[] = [];
  /** Due events read per entity (an estimate of its events: the rest may lie beyond what was read). */
  readonly #events = new Map<string, number>();
  #after: [string, string] | null = null;
  #done = false;
  /** Candidates the lock statements went through, in order. */
  #tried = 0;

  constructor(
    private readonly client: PgClientLike,
    private readonly sql: Queries,
    private readonly now: Date,
    private readonly group: DueGroupHead,
  ) {}

  async answer(skip: number, count: number): Promise<GroupAnswer> {
    while (!this.#done && this.#entityIds.length < skip + count) await this.#read(skip + count - this.#entityIds.length);
    const found = this.#entityIds.slice(skip, skip + count);
    return { entities: found.length, events: found.reduce((sum, id) => sum + this.#events.get(id)!, 0) };
  }

  /**
   * Takes the advisory locks of the group's next `count` free entities another claim does not hold (after
   * those earlier calls tried), reading on as needed.
   */
  async lock(count: number): Promise<string[]> {
    const { group } = this;
    const locked: string[] = [];
    while (locked.length < count) {
      if (this.#tried >= this.#entityIds.length) {
        if (this.#done) break;
        await this.#read(count - locked.length);
        if (this.#tried >= this.#entityIds.length) break;
      }
      const from = this.#tried;
      const candidates = this.#entityIds.slice(from);
      const values = [group.integration, group.tenantId, group.entityType, candidates, count - locked.length];
      const { rows } = await this.client.query(this.sql.lockGroupEntities, values);
      for (const row of rows as Row[]) locked.push(row.entity_id as string);
      // Stopped at its count: the candidates after the last one locked were not tried; else all were.
      const last = (rows as Row[])[rows.length - 1];
      this.#tried = rows.length === values[4] && last ? from + Number(last.ord) : this.#entityIds.length;
    }
    return locked;
  }

  async #read(wanted: number): Promise<void> {
    const n = Math.max(MIN_STEP, 2 * wanted);
    const { group } = this;
    const values: unknown[] = [this.now, group.integration, group.tenantId, group.entityType, n];
    if (this.#after) values.push(...this.#after);
    const { rows } = await this.client.query(this.sql.groupDueEvents(this.#after === null), values);
    for (const row of rows as Row[]) {
      const entityId = row.entity_id as string;
      const seen = this.#events.get(entityId);
      if (seen === undefined) this.#entityIds.push(entityId);
      this.#events.set(entityId, (seen ?? 0) + 1);
    }
    const last = (rows as Row[])[rows.length - 1];
    if (last) this.#after = [last.due_key as string, last.id as string];
    if (rows.length < n) this.#done = true;
  }
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
