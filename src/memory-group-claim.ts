// The memory store's group claim: its claimable events summarised by group, planned, and cut into whole entities.
import type { EntityGroup } from "./contracts/webhook-store.ts";
import { groupBy } from "./internal/group-by.ts";
import { dueTime } from "./memory-records.ts";
import { type DueGroup, planGroupClaim } from "./store-kit/plan-group-claim.ts";
import type { EventRecord } from "./types.ts";

/**
 * Chooses what a group claim takes from `claimable` (every claimable event of an entity no other
 * claim holds): per `planGroupClaim`, the earliest-due entities of each planned group, each with all of
 * its claimable events (earliest due first). Returns the events to lease, entity by entity.
 */
export function chooseGroupClaim<T extends EventRecord>(claimable: readonly T[], limit: number, batchSize: (group: EntityGroup) => number): T[] {
  const byGroup = groupBy(claimable, (event) => `${event.integration}\u0000${event.tenantId}\u0000${event.entityType}`);
  const summaries: DueGroup[] = [];
  const entitiesOf = new Map<DueGroup, T[][]>();
  for (const events of byGroup.values()) {
    const entities = [...groupBy(events, (event) => event.entityId).values()].map((entity) => entity.sort(byDue));
    entities.sort((a, b) => byDue(a[0]!, b[0]!) || (a[0]!.entityId < b[0]!.entityId ? -1 : 1));
    const { integration, tenantId, entityType } = events[0]!;
    const summary = { integration, tenantId, entityType, dueAt: dueTime(entities[0]![0]!), entities: entities.length, events: events.length };
    summaries.push(summary);
    entitiesOf.set(summary, entities);
  }
  return planGroupClaim(summaries, limit, batchSize).flatMap(({ group, entities }) => entitiesOf.get(group)!.slice(0, entities).flat());
}

function byDue(a: EventRecord, b: EventRecord): number {
  return dueTime(a) - dueTime(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
