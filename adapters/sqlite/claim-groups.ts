/** SqliteStore's group claim (ClaimDueInput.groups): the groups' heads, the plan asked step by step, then whole entities leased. */
import { randomUUID } from "node:crypto";
import type { Statement } from "better-sqlite3";
import type { ClaimedEvent, EntityGroup, EventRecord, GroupClaimOptions } from "../../src/index.ts";
import { planGroupClaimWith, poisonMessage, type DueGroupHead, type GroupAnswer } from "../../src/store-kit/index.ts";
import * as Q from "./queries.ts";
import { toEventRecord, type EventRow } from "./rows.ts";

interface GroupKeyRow {
  integration: string;
  tenant_id: string;
  entity_type: string;
}

interface DueEventRow {
  entity_id: string;
  next_attempt_at: number;
  id: string;
}

export interface GroupClaimInput {
  readonly at: number;
  readonly limit: number;
  readonly leaseMs: number;
  readonly workerId: string;
  readonly groups: GroupClaimOptions;
}

/** Rows read per step of a group's cursor, at the least. */
const MIN_STEP = 64;

/**
 * Runs inside the claim's IMMEDIATE transaction. An event with an interrupted attempt is claimed alone
 * (with its entity's other due events); otherwise the heads of the groups with due work (a loose scan of
 * events_group_due: one probe per group), `planGroupClaimSteps`, answered by reading each planned group's
 * due events in claim order only as far as the plan takes it, then every due event of the chosen entities,
 * each leased (or marked failed when it is a poison event). A pass reads about `limit` rows plus one probe
 * per group, whatever the backlog.
 */
export function claimGroups(sql: (text: string) => Statement, input: GroupClaimInput, events: ClaimedEvent[], poisoned: EventRecord[]): void {
  const { at } = input;
  const lease = sql(Q.CLAIM_LEASE);
  const poison = sql(Q.CLAIM_POISON);
  const claimEntities = (group: EntityGroup, ids: readonly string[]) => {
    const key = { now: at, integration: group.integration, tenant_id: group.tenantId, entity_type: group.entityType, ids: JSON.stringify(ids) };
    for (const row of sql(Q.DUE_ENTITY_EVENTS).all(key) as EventRow[]) {
      if (row.attempts_started - row.attempts_finished >= row.max_attempts) {
        const error = poisonMessage({ attemptsStarted: row.attempts_started, attemptsFinished: row.attempts_finished });
        poisoned.push(toEventRecord(poison.get({ id: row.id, error, now: at }) as EventRow));
        continue;
      }
      const token = randomUUID();
      const updated = lease.get({ id: row.id, now: at, token, expires: at + input.leaseMs, worker: input.workerId }) as EventRow;
      events.push({ ...toEventRecord(updated), leaseToken: token });
    }
  };
  const suspect = sql(Q.DUE_SUSPECT).get({ now: at }) as (GroupKeyRow & { entity_id: string }) | undefined;
  if (suspect) {
    claimEntities({ integration: suspect.integration, tenantId: suspect.tenant_id, entityType: suspect.entity_type }, [suspect.entity_id]);
    return;
  }
  const cursors = new Map<DueGroupHead, GroupCursor>();
  const takes = planGroupClaimWith(groupHeads(sql, at), input.limit, input.groups.batchSize, ({ group, skip, entities }) => {
    let cursor = cursors.get(group);
    if (!cursor) {
      cursor = new GroupCursor(sql, at, group);
      cursors.set(group, cursor);
    }
    return cursor.answer(skip, entities);
  });
  for (const { group, entities } of takes) claimEntities(group, cursors.get(group)!.entityIds.slice(0, entities));
}

/** Every group with unfinished events whose earliest claimable event is due at `at`, with that time. */
function groupHeads(sql: (text: string) => Statement, at: number): DueGroupHead[] {
  const heads: DueGroupHead[] = [];
  const probes = Q.NEXT_OPEN_GROUP.map((text) => sql(text));
  const next = (after: GroupKeyRow) => {
    for (const probe of probes) {
      const row = probe.get(after) as GroupKeyRow | undefined;
      if (row) return row;
    }
    return undefined;
  };
  const dueAt = sql(Q.GROUP_DUE_AT);
  for (let row = sql(Q.FIRST_OPEN_GROUP).get() as GroupKeyRow | undefined; row; row = next(row)) {
    const due = dueAt.get({ ...row, now: at }) as { due_at: number } | undefined;
    if (due) heads.push({ integration: row.integration, tenantId: row.tenant_id, entityType: row.entity_type, dueAt: due.due_at });
  }
  return heads;
}

/** One claim's reading of one group: its free due events in claim order, a step at a time, entities in the order first seen. */
class GroupCursor {
  readonly entityIds: string[] = [];
  /** Due events read per entity (an estimate of its events: the rest may lie beyond what was read). */
  readonly #events = new Map<string, number>();
  #after: { after_due: number; after_id: string } | null = null;
  #done = false;

  constructor(
    private readonly sql: (text: string) => Statement,
    private readonly at: number,
    private readonly group: DueGroupHead,
  ) {}

  answer(skip: number, count: number): GroupAnswer {
    while (!this.#done && this.entityIds.length < skip + count) this.#read(Math.max(MIN_STEP, 2 * (skip + count - this.entityIds.length)));
    const found = this.entityIds.slice(skip, skip + count);
    return { entities: found.length, events: found.reduce((sum, id) => sum + this.#events.get(id)!, 0) };
  }

  #read(n: number): void {
    const { group } = this;
    const params = { now: this.at, integration: group.integration, tenant_id: group.tenantId, entity_type: group.entityType, n, ...this.#after };
    const rows = this.sql(Q.groupDueEvents(this.#after === null)).all(params) as DueEventRow[];
    for (const row of rows) {
      const seen = this.#events.get(row.entity_id);
      if (seen === undefined) this.entityIds.push(row.entity_id);
      this.#events.set(row.entity_id, (seen ?? 0) + 1);
    }
    const last = rows[rows.length - 1];
    if (last) this.#after = { after_due: last.next_attempt_at, after_id: last.id };
    if (rows.length < n) this.#done = true;
  }
}
