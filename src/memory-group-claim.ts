// The memory store's group due index: per (integration, tenant, entity type) group, its events by claimable time and
// its open events by entity, so a group claim reads about `limit` entries instead of walking the backlog.
import type { EntityGroup } from "./contracts/webhook-store.ts";
import { MinHeap } from "./internal/min-heap.ts";
import { dueTime } from "./memory-records.ts";
import { type DueGroupHead, planGroupClaimWith } from "./store-kit/plan-group-claim.ts";
import type { EventRecord } from "./types.ts";

/** When an event can next be claimed (its next attempt, or its lease's expiry); only the entry whose version is current counts. */
export interface DueEntry {
  readonly at: number;
  readonly id: string;
  readonly version: number;
}

/** Earliest claimable time first, then id. */
export function entryBefore(a: DueEntry, b: DueEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.id < b.id);
}

/** What the index asks the store at claim time. */
export interface ClaimView<T extends EventRecord> {
  /** The event an entry offers while the entry is the event's current one; undefined once superseded. */
  current(entry: DueEntry): T | undefined;
  /** Claimable now: due, and not under a live lease. */
  claimable(event: T): boolean;
  /** Another event of its entity is under a live lease (one claimer per entity). */
  busy(event: T): boolean;
}

interface GroupSlot<T> extends EntityGroup {
  readonly key: string;
  /** Entries of the group's open events, earliest claimable first (superseded ones dropped when they surface). */
  readonly due: MinHeap<DueEntry>;
  /** The group's open (queued, retrying, processing) events by entity id. */
  readonly open: Map<string, T[]>;
}

interface Head<T> extends DueGroupHead {
  readonly slot: GroupSlot<T>;
}

/**
 * The group due index of MemoryStore, kept current by the store: `open` when an event becomes due work
 * (inserted, re-queued), `schedule` each time its claimable time changes (insert, claim, retry), `close`
 * when it stops being work (finished, poisoned), `noteAttempts` when its started/finished counts change.
 * A group claim (`claim`) plans over the groups' heads (one per group with entries) and reads each
 * planned group's due entries in order only as far as the plan takes it: O(limit · log n) per claim
 * plus one look at each group's head, whatever the backlog.
 */
export class GroupDueIndex<T extends EventRecord> {
  readonly #groups = new Map<string, GroupSlot<T>>();
  /** Open events with a started attempt no finish closed (interrupted, or running now): claimed alone when due. */
  readonly #suspects = new Set<T>();

  open(event: T): void {
    const open = this.#slot(event).open;
    const events = open.get(event.entityId);
    if (events) events.push(event);
    else open.set(event.entityId, [event]);
    this.noteAttempts(event);
  }

  schedule(event: T, entry: DueEntry): void {
    this.#slot(event).due.push(entry);
  }

  close(event: T): void {
    this.#suspects.delete(event);
    const slot = this.#groups.get(groupKey(event));
    const events = slot?.open.get(event.entityId);
    if (!slot || !events) return;
    const index = events.indexOf(event);
    if (index < 0) return;
    events[index] = events[events.length - 1]!;
    events.pop();
    if (events.length === 0) slot.open.delete(event.entityId);
  }

  noteAttempts(event: T): void {
    if (event.attemptsStarted > event.attemptsFinished) this.#suspects.add(event);
    else this.#suspects.delete(event);
  }

  /**
   * Chooses what a group claim at `at` takes and hands it to `take`, entity by entity, each entity with
   * all of its claimable events (earliest due first): per `planGroupClaimSteps`, the earliest-due free
   * entities of each planned group; when an event with an interrupted attempt is due, only its entity
   * (isolation of a poison event). Entries read but not taken go back into their group's heap.
   */
  claim(at: number, view: ClaimView<T>, limit: number, batchSize: (group: EntityGroup) => number, take: (event: T) => void): void {
    let suspect: T | null = null;
    for (const event of this.#suspects) {
      if ((suspect === null || byDue(event, suspect) < 0) && view.claimable(event) && !view.busy(event)) suspect = event;
    }
    if (suspect) {
      for (const event of this.#claimableOf(this.#slot(suspect), suspect.entityId, view)) take(event);
      return;
    }
    const heads: Head<T>[] = [];
    for (const slot of this.#groups.values()) {
      let top = slot.due.peek();
      while (top && !view.current(top)) {
        slot.due.pop();
        top = slot.due.peek();
      }
      if (!top) {
        if (slot.open.size === 0) this.#groups.delete(slot.key);
        continue;
      }
      if (top.at <= at) heads.push({ integration: slot.integration, tenantId: slot.tenantId, entityType: slot.entityType, dueAt: top.at, slot });
    }
    if (heads.length === 0) return;
    const cursors = new Map<GroupSlot<T>, GroupCursor<T>>();
    const takes = planGroupClaimWith(heads, limit, batchSize, ({ group, skip, entities }) => {
      let cursor = cursors.get(group.slot);
      if (!cursor) {
        cursor = new GroupCursor(group.slot, at, view, (entityId) => this.#claimableOf(group.slot, entityId, view));
        cursors.set(group.slot, cursor);
      }
      return cursor.answer(skip, entities);
    });
    for (const { group, entities } of takes) for (const events of cursors.get(group.slot)!.entities.slice(0, entities)) for (const event of events) take(event);
    for (const cursor of cursors.values()) cursor.restore();
  }

  /** The claimable events of one entity of a group, earliest due first. */
  #claimableOf(slot: GroupSlot<T>, entityId: string, view: ClaimView<T>): T[] {
    return (slot.open.get(entityId) ?? []).filter((event) => view.claimable(event)).sort(byDue);
  }

  #slot(event: T): GroupSlot<T> {
    const key = groupKey(event);
    let slot = this.#groups.get(key);
    if (!slot) {
      slot = { key, integration: event.integration, tenantId: event.tenantId, entityType: event.entityType, due: new MinHeap(entryBefore), open: new Map() };
      this.#groups.set(key, slot);
    }
    return slot;
  }
}

/** One claim's reading of one group: its due entries popped in order, free entities collected as the plan asks for them. */
class GroupCursor<T extends EventRecord> {
  /** Free entities found so far, earliest due first, each its claimable events. */
  readonly entities: T[][] = [];
  readonly #popped: DueEntry[] = [];
  readonly #seen = new Set<string>();

  constructor(
    private readonly slot: GroupSlot<T>,
    private readonly at: number,
    private readonly view: ClaimView<T>,
    private readonly claimableOf: (entityId: string) => T[],
  ) {}

  answer(skip: number, count: number): { entities: number; events: number } {
    this.#fill(skip + count);
    const found = this.entities.slice(skip, skip + count);
    return { entities: found.length, events: found.reduce((sum, events) => sum + events.length, 0) };
  }

  /** Puts back the entries read but not taken (a taken event has a new entry: its lease's expiry). */
  restore(): void {
    for (const entry of this.#popped) if (this.view.current(entry)) this.slot.due.push(entry);
  }

  #fill(upTo: number): void {
    const { due } = this.slot;
    while (this.entities.length < upTo) {
      const entry = due.peek();
      if (!entry || entry.at > this.at) return;
      due.pop();
      const event = this.view.current(entry);
      if (!event) continue; // superseded: dropped for good
      this.#popped.push(entry);
      if (!this.view.claimable(event) || this.#seen.has(event.entityId)) continue;
      this.#seen.add(event.entityId);
      if (this.view.busy(event)) continue;
      const events = this.claimableOf(event.entityId);
      if (events.length > 0) this.entities.push(events);
    }
  }
}

function groupKey(group: EntityGroup): string {
  return `${group.integration}\u0000${group.tenantId}\u0000${group.entityType}`;
}

function byDue(a: EventRecord, b: EventRecord): number {
  return dueTime(a) - dueTime(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
