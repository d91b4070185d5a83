// The group claim plan: which (integration, tenant, entity type) groups a claim takes, how many entities of each, tenants in turn.
import type { EntityGroup } from "../contracts/webhook-store.ts";

/** One group with due work, as a store summarises it before a group claim. */
export interface DueGroup extends EntityGroup {
  /** Earliest due time among the group's claimable events (ms). */
  readonly dueAt: number;
  /** Distinct entities with claimable events. */
  readonly entities: number;
  /** Claimable events. */
  readonly events: number;
}

/** Claim up to `entities` of the group's due entities (earliest due first), with all their due events. */
export interface GroupTake {
  readonly group: DueGroup;
  readonly entities: number;
}

/**
 * The plan of a group claim (`ClaimDueInput.groups`), the same for every store. Tenants (integration
 * and tenant) with due work take turns, earliest-due tenant first: each turn takes one batch of
 * `batchSize(group)` entities from the tenant's earliest-due group (or the rest of that group when
 * fewer are due), so every group is claimed in whole provider batches and a large tenant's backlog
 * cannot keep a small tenant's work out of a pass. No batch is started that would take the claim past
 * `limit` events (estimated from the group's events per entity), but the first batch always is.
 * Returns one take per group, in the order the groups were first taken.
 */
export function planGroupClaim(groups: readonly DueGroup[], limit: number, batchSize: (group: EntityGroup) => number): GroupTake[] {
  const ordered = [...groups].filter((group) => group.entities > 0).sort((a, b) => a.dueAt - b.dueAt || compareKeys(a, b));
  const tenants = new Map<string, DueGroup[]>();
  for (const group of ordered) {
    const tenant = `${group.integration}\u0000${group.tenantId}`;
    const queue = tenants.get(tenant) ?? [];
    queue.push(group);
    tenants.set(tenant, queue);
  }
  const taken = new Map<DueGroup, number>();
  const left = new Map(ordered.map((group) => [group, group.entities]));
  let events = 0;
  for (let active = [...tenants.values()]; active.length > 0; active = active.filter((queue) => queue.length > 0)) {
    for (const queue of active) {
      const group = queue[0]!;
      const remaining = left.get(group)!;
      const entities = Math.min(remaining, Math.max(1, Math.floor(batchSize(group))));
      const estimate = Math.ceil((entities * group.events) / group.entities);
      if (events > 0 && events + estimate > limit) return toTakes(taken);
      events += estimate;
      taken.set(group, (taken.get(group) ?? 0) + entities);
      left.set(group, remaining - entities);
      if (remaining - entities === 0) queue.shift();
    }
  }
  return toTakes(taken);
}

function toTakes(taken: Map<DueGroup, number>): GroupTake[] {
  return [...taken].map(([group, entities]) => ({ group, entities }));
}

function compareKeys(a: EntityGroup, b: EntityGroup): number {
  const ka = `${a.integration}\u0000${a.tenantId}\u0000${a.entityType}`;
  const kb = `${b.integration}\u0000${b.tenantId}\u0000${b.entityType}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
