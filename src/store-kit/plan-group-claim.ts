// The group claim plan: which (integration, tenant, entity type) groups a claim takes, how many entities of each, tenants in turn.
import type { EntityGroup } from "../contracts/webhook-store.ts";

/** A group with due work, as a store finds it before a group claim: its earliest due time. */
export interface DueGroupHead extends EntityGroup {
  /** Earliest due time among the group's claimable events (ms). */
  readonly dueAt: number;
}

/** One group with due work, summarised in full (every due entity counted). */
export interface DueGroup extends DueGroupHead {
  /** Distinct entities with claimable events. */
  readonly entities: number;
  /** Claimable events. */
  readonly events: number;
}

/** Claim up to `entities` of the group's due entities (earliest due first), with all their due events. */
export interface GroupTake<G extends DueGroupHead = DueGroup> {
  readonly group: G;
  readonly entities: number;
}

/**
 * What the planner asks a store about one group when it reaches it: after the group's first `skip`
 * due entities (earliest due first, entities no live lease holds), how many of the next `entities`
 * are there, and how many claimable events do they carry?
 */
export interface GroupQuestion<G extends DueGroupHead = DueGroupHead> {
  readonly group: G;
  readonly skip: number;
  readonly entities: number;
}

/**
 * The store's answer: `entities` (at most the number asked; fewer only when the group has no more due
 * entities) and the claimable events they carry (at least one each; an estimate is enough).
 */
export interface GroupAnswer {
  readonly entities: number;
  readonly events: number;
}

/**
 * The plan of a group claim (`ClaimDueInput.groups`), the same for every store, asked step by step so
 * that a store counts only the entities the plan can take, not every due entity of every group (a pass
 * then costs about `limit` rows, whatever the backlog). Tenants (integration and tenant) with due work
 * take turns, earliest-due tenant first: each turn takes one batch of `batchSize(group)` entities from
 * the tenant's earliest-due group (or the rest of that group when fewer are due), so every group is
 * claimed in whole provider batches and a large tenant's backlog cannot keep a small tenant's work out of
 * a pass. No batch is started that would take the claim past `limit` events, but the first batch always
 * is. The generator yields a {@link GroupQuestion} each time it reaches a group (send back the
 * {@link GroupAnswer}) and returns one take per group, in the order the groups were first taken.
 *
 * A store that answers from its own cursor per group reads each group's due entities once, in order:
 * the `skip` of a group's next question is always the total of its earlier answers.
 */
export function* planGroupClaimSteps<G extends DueGroupHead>(
  heads: readonly G[],
  limit: number,
  batchSize: (group: EntityGroup) => number,
): Generator<GroupQuestion<G>, GroupTake<G>[], GroupAnswer> {
  const ordered = [...heads].sort((a, b) => a.dueAt - b.dueAt || compareKeys(a, b));
  const tenants = new Map<string, G[]>();
  for (const group of ordered) {
    const tenant = `${group.integration}\u0000${group.tenantId}`;
    const queue = tenants.get(tenant) ?? [];
    queue.push(group);
    tenants.set(tenant, queue);
  }
  const taken = new Map<G, number>();
  let events = 0;
  for (let active = [...tenants.values()]; active.length > 0; active = active.filter((queue) => queue.length > 0)) {
    for (const queue of active) {
      // The tenant's turn: one batch from its earliest-due group that still has due entities.
      while (queue.length > 0) {
        const group = queue[0]!;
        const size = Math.max(1, Math.floor(batchSize(group)));
        const skip = taken.get(group) ?? 0;
        const answer = yield { group, skip, entities: size };
        const entities = Math.min(size, Math.max(0, Math.floor(answer.entities)));
        if (entities === 0) {
          queue.shift();
          continue;
        }
        const estimate = Math.max(entities, Math.ceil(answer.events));
        if (events > 0 && events + estimate > limit) return toTakes(taken);
        events += estimate;
        taken.set(group, skip + entities);
        if (entities < size) queue.shift();
        break;
      }
    }
  }
  return toTakes(taken);
}

/**
 * {@link planGroupClaimSteps} answered from full summaries (every due entity of every due group
 * counted; a batch's events estimated from its group's events per entity). Returns one take per group,
 * in the order the groups were first taken.
 */
export function planGroupClaim(groups: readonly DueGroup[], limit: number, batchSize: (group: EntityGroup) => number): GroupTake[] {
  return planGroupClaimWith(
    groups.filter((group) => group.entities > 0),
    limit,
    batchSize,
    ({ group, skip, entities }) => {
      const count = Math.max(0, Math.min(entities, group.entities - skip));
      return { entities: count, events: Math.ceil((count * group.events) / group.entities) };
    },
  );
}

/** Runs {@link planGroupClaimSteps}, answering each question with `answer` (a store that reads synchronously). */
export function planGroupClaimWith<G extends DueGroupHead>(
  heads: readonly G[],
  limit: number,
  batchSize: (group: EntityGroup) => number,
  answer: (question: GroupQuestion<G>) => GroupAnswer,
): GroupTake<G>[] {
  const steps = planGroupClaimSteps(heads, limit, batchSize);
  for (let step = steps.next(); ; ) {
    if (step.done) return step.value;
    step = steps.next(answer(step.value));
  }
}

function toTakes<G extends DueGroupHead>(taken: Map<G, number>): GroupTake<G>[] {
  return [...taken].map(([group, entities]) => ({ group, entities }));
}

function compareKeys(a: EntityGroup, b: EntityGroup): number {
  const ka = `${a.integration}\u0000${a.tenantId}\u0000${a.entityType}`;
  const kb = `${b.integration}\u0000${b.tenantId}\u0000${b.entityType}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
