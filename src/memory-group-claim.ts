// The memory store's group claim: its claimable events summarised by group, planned, and cut into whole entities.
import type { EntityGroup } from "./contracts/webhook-store.ts";
import { dueTime } from "./memory-records.ts";
import { type DueGroup, planGroupClaim } from "./store-kit/plan-group-claim.ts";
import type { EventRecord } from "./types.ts";

/**
 * Chooses what a group claim takes from `claimable` (every claimable event of an entity no other
 * claim holds): per `planGroupClaim`, the earliest-due entities of each planned group, each with all of
 * its claimable events (earliest due first). Returns the events to lease, entity by entity; when an
 * event with an interrupted attempt is due, only its entity (isolation of a poison event).
 */
export function chooseGroupClaim<T extends EventRecord>(claimable: Iterable<T>, limit: number, batchSize: (group: EntityGroup) => number): T[] {
  // One walk: per group, its entities' events and earliest due time; entities are sorted only in the groups the plan takes.
  const byGroup = new Map<string, { summary: MutableGroup; entities: Map<string, T[]> }>();
  let suspect: T | null = null;
  for (const event of claimable) {
    // An event with an interrupted attempt (its handler started, nothing finished it) is claimed alone.
    if (event.attemptsStarted > event.attemptsFinished && (suspect === null || byDue(event, suspect) < 0)) suspect = event;
    const key = `${event.integration}\u0000${event.tenantId}\u0000${event.entityType}`;
    let group = byGroup.get(key);
    if (!group) {
      const summary = { integration: event.integration, tenantId: event.tenantId, entityType: event.entityType, dueAt: Infinity, entities: 0, events: 0 };
      group = { summary, entities: new Map() };
      byGroup.set(key, group);
    }
    const events = group.entities.get(event.entityId);
    if (events) events.push(event);
    else group.entities.set(event.entityId, [event]);
    group.summary.events += 1;
    group.summary.dueAt = Math.min(group.summary.dueAt, dueTime(event));
  }
  if (suspect) {
    const key = `${suspect.integration}\u0000${suspect.tenantId}\u0000${suspect.entityType}`;
    return byGroup.get(key)!.entities.get(suspect.entityId)!.sort(byDue);
  }
  const entitiesOf = new Map<DueGroup, Map<string, T[]>>();
  for (const { summary, entities } of byGroup.values()) {
    summary.entities = entities.size;
    entitiesOf.set(summary, entities);
  }
  return planGroupClaim([...entitiesOf.keys()], limit, batchSize).flatMap(({ group, entities }) => {
    const due = [...entitiesOf.get(group)!.values()].map((events) => events.sort(byDue));
    due.sort((a, b) => byDue(a[0]!, b[0]!) || (a[0]!.entityId < b[0]!.entityId ? -1 : 1));
    return due.slice(0, entities).flat();
  });
}

type MutableGroup = { -readonly [K in keyof DueGroup]: DueGroup[K] };

function byDue(a: EventRecord, b: EventRecord): number {
  return dueTime(a) - dueTime(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
