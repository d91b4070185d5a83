/** SqliteStore's group claim (ClaimDueInput.groups): due groups summarised in SQL, planned, then whole entities leased. */
import { randomUUID } from "node:crypto";
import type { Statement } from "better-sqlite3";
import type { ClaimedEvent, EventRecord, GroupClaimOptions } from "../../src/index.ts";
import { planGroupClaim, poisonMessage, type DueGroup } from "../../src/store-kit/index.ts";
import * as Q from "./queries.ts";
import { toEventRecord, type EventRow } from "./rows.ts";

interface GroupRow {
  integration: string;
  tenant_id: string;
  entity_type: string;
  due_at: number;
  entities: number;
  events: number;
}

export interface GroupClaimInput {
  readonly at: number;
  readonly limit: number;
  readonly leaseMs: number;
  readonly workerId: string;
  readonly groups: GroupClaimOptions;
}

/**
 * Runs inside the claim's IMMEDIATE transaction: one summary of the due groups, `planGroupClaim`,
 * then per planned group its earliest-due free entities and every due event of them, each leased
 * (or marked failed when it is a poison event).
 */
export function claimGroups(sql: (text: string) => Statement, input: GroupClaimInput, events: ClaimedEvent[], poisoned: EventRecord[]): void {
  const { at } = input;
  const summaries = (sql(Q.DUE_GROUPS).all({ now: at }) as GroupRow[]).map(
    (row): DueGroup => ({
      integration: row.integration,
      tenantId: row.tenant_id,
      entityType: row.entity_type,
      dueAt: row.due_at,
      entities: row.entities,
      events: row.events,
    }),
  );
  const lease = sql(Q.CLAIM_LEASE);
  const poison = sql(Q.CLAIM_POISON);
  const claimEntities = (key: Record<string, unknown>, ids: readonly string[]) => {
    for (const row of sql(Q.DUE_ENTITY_EVENTS).all({ ...key, ids: JSON.stringify(ids) }) as EventRow[]) {
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
  // An event with an interrupted attempt is claimed alone (with its entity's other due events).
  const suspect = sql(Q.DUE_SUSPECT).get({ now: at }) as { integration: string; tenant_id: string; entity_type: string; entity_id: string } | undefined;
  if (suspect) {
    claimEntities({ now: at, integration: suspect.integration, tenant_id: suspect.tenant_id, entity_type: suspect.entity_type }, [suspect.entity_id]);
    return;
  }
  for (const { group, entities } of planGroupClaim(summaries, input.limit, input.groups.batchSize)) {
    const key = { now: at, integration: group.integration, tenant_id: group.tenantId, entity_type: group.entityType };
    const ids = (sql(Q.DUE_GROUP_ENTITIES).all({ ...key, n: entities }) as { entity_id: string }[]).map((row) => row.entity_id);
    if (ids.length > 0) claimEntities(key, ids);
  }
}
