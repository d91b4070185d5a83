// The in-memory WebhookStore: events, deliveries, leases and watermarks held in process memory.
import { randomUUID } from "node:crypto";
import type {
  ClaimDueInput,
  ClaimResult,
  ClaimedEvent,
  FinishAttemptInput,
  InsertDeliveryResult,
  RequeueInput,
  StoreCapabilities,
  UpdateDeliveryInput,
  WebhookStore,
} from "./contracts/webhook-store.ts";
import { StoreError } from "./errors.ts";
import { entityKeyString, isNewerWatermark } from "./entity-key.ts";
import { MinHeap } from "./internal/min-heap.ts";
import { MemoryReconciliation } from "./memory-reconciliation.ts";
import { MemorySharedState } from "./memory-shared-state.ts";
import { type ClaimView, type DueEntry, GroupDueIndex, entryBefore } from "./memory-group-claim.ts";
import { type MutableDelivery, type MutableEvent, dueTime, markPoisoned, newDeliveryRecord, newEventRecord, toPage } from "./memory-records.ts";
import { deliveryMatches, eventMatches, pageSize } from "./filters.ts";
import type {
  AttemptRecord,
  DeliveryFilter,
  DeliveryRecord,
  DeliverySummary,
  EntityKey,
  EventCount,
  EventDetails,
  EventFilter,
  EventRecord,
  NewDelivery,
  NewEvent,
  Page,
  PageRequest,
  ResourceData,
  Watermark,
} from "./types.ts";
import { attemptsRemaining } from "./types.ts";

interface Lease {
  token: string;
  expiresAt: number;
}

/**
 * The reference `WebhookStore`: everything in process memory, gone when the process exits.
 * For tests and throwaway use; it enforces uniqueness, leases and watermark rules exactly as the
 * durable stores do, so code tested against it behaves the same on SQLite or PostgreSQL.
 */
export class MemoryStore implements WebhookStore {
  readonly name = "memory";
  readonly capabilities: StoreCapabilities = { multiProcess: false, durable: false, transactionalHandler: false };
  /** Reconciliation watermarks, leases and runs, in memory like the rest. */
  readonly reconciliation = new MemoryReconciliation();
  /** Settings and token leases, shared by every inbox over this store object. */
  readonly sharedState = new MemorySharedState();

  #deliveries = new Map<string, MutableDelivery>();
  #dedupe = new Map<string, string>();
  #events = new Map<string, MutableEvent>();
  /**
   * The due index: when each unfinished event can next be claimed (its next attempt, or its lease's
   * expiry), so a pass reads about `limit` entries instead of scanning or sorting the backlog.
   * Entries are invalidated lazily: only the entry whose version is current counts.
   */
  #due = new MinHeap<DueEntry>(entryBefore);
  #dueVersion = new Map<string, number>();
  #versionCounter = 0;
  /** The same entries by (integration, tenant, entity type) group, with each group's open events by entity: the group claim's index. */
  #groups = new GroupDueIndex<MutableEvent>();
  /** Live leases per entity: one claimer per entity at a time. */
  #leasedByEntity = new Map<string, Map<string, number>>();
  #leases = new Map<string, Lease>();
  #attempts = new Map<string, AttemptRecord[]>();
  #resources = new Map<string, ResourceData>();
  #watermarks = new Map<string, Watermark>();
  #downloadSequence = 0;

  async migrate(): Promise<void> {}

  async insertDelivery({ delivery, events }: { delivery: NewDelivery; events: readonly NewEvent[] }): Promise<InsertDeliveryResult> {
    // Checked before any write, so a failing insert stores nothing (as a SQL transaction would).
    if (this.#deliveries.has(delivery.id)) throw new StoreError(this.name, "insertDelivery failed: delivery id already exists");
    this.#assertNewEventIds("insertDelivery", events);
    const original = delivery.dedupeKey === null ? undefined : this.#dedupe.get(delivery.dedupeKey);
    if (original !== undefined) {
      this.#deliveries.set(delivery.id, newDeliveryRecord(delivery, original, 0));
      return { status: "duplicate", deliveryId: delivery.id, duplicateOf: original };
    }
    this.#deliveries.set(delivery.id, newDeliveryRecord(delivery, null, events.length));
    if (delivery.dedupeKey !== null) this.#dedupe.set(delivery.dedupeKey, delivery.id);
    for (const event of events) this.#add(event);
    return { status: "inserted", deliveryId: delivery.id };
  }

  async updateDelivery(input: UpdateDeliveryInput): Promise<boolean> {
    const delivery = this.#deliveries.get(input.id);
    if (!delivery) return false;
    if (input.ifStatus !== undefined && delivery.status !== input.ifStatus) return false;
    this.#assertNewEventIds("updateDelivery", input.events ?? []);
    if (input.status !== undefined) delivery.status = input.status;
    if (input.reason !== undefined) delivery.reason = input.reason;
    if (input.response !== undefined) delivery.response = input.response;
    if (input.tenantIds !== undefined) delivery.tenantIds = [...input.tenantIds];
    if (input.releaseDedupeKey && delivery.dedupeKey !== null) {
      this.#dedupe.delete(delivery.dedupeKey);
      delivery.dedupeKey = null;
    }
    for (const event of input.events ?? []) this.#add(event);
    delivery.eventCount += input.events?.length ?? 0;
    return true;
  }

  async getDelivery(id: string): Promise<DeliveryRecord | null> {
    const delivery = this.#deliveries.get(id);
    return delivery ? { ...delivery } : null;
  }

  async listDeliveries(input: DeliveryFilter & PageRequest): Promise<Page<DeliverySummary>> {
    const limit = pageSize(input.limit);
    const ids = [...this.#deliveries.keys()].sort().reverse();
    const items: DeliverySummary[] = [];
    for (const id of ids) {
      if (input.cursor !== undefined && id >= input.cursor) continue;
      const { rawBody: _rawBody, ...summary } = this.#deliveries.get(id)!;
      if (!deliveryMatches(summary, input)) continue;
      items.push(summary);
      if (items.length > limit) break;
    }
    return toPage(items, limit);
  }

  async claimDue({ now, limit, leaseMs, ids, groups }: ClaimDueInput): Promise<ClaimResult> {
    const at = now.getTime();
    const events: ClaimedEvent[] = [];
    const poisoned: EventRecord[] = [];
    const claimedEntities = new Set<string>();
    const take = (event: MutableEvent): void => {
      if (event.attemptsStarted - event.attemptsFinished >= event.maxAttempts) {
        this.#poison(event, now);
        poisoned.push({ ...event });
        return;
      }
      claimedEntities.add(entityKeyString(event));
      events.push(this.#lease(event, now, leaseMs));
    };
    // One claimer per entity at a time: an entity with an event under a live lease (from before this call) is skipped.
    const busy = (event: MutableEvent) => !claimedEntities.has(entityKeyString(event)) && this.#entityBusy(event, at);

    if (ids) {
      const candidates = ids
        .map((id) => this.#events.get(id))
        .filter((event) => event !== undefined && this.#isClaimable(event, at) && !busy(event)) as MutableEvent[];
      candidates.sort((a, b) => dueTime(a) - dueTime(b) || (a.id < b.id ? -1 : 1));
      for (const event of candidates) {
        if (events.length >= limit) break;
        take(event);
      }
      return { events, poisoned };
    }

    // Group claim: whole entities in whole batches, of the claimable events of entities no live lease holds.
    if (groups) {
      const view: ClaimView<MutableEvent> = {
        current: (entry) => (this.#dueVersion.get(entry.id) === entry.version ? this.#events.get(entry.id) : undefined),
        claimable: (event) => this.#isClaimable(event, at),
        busy: (event) => this.#entityBusy(event, at),
      };
      this.#groups.claim(at, view, limit, groups.batchSize, take);
      return { events, poisoned };
    }

    const skipped: DueEntry[] = [];
    while (events.length < limit) {
      const entry = this.#due.peek();
      if (!entry || entry.at > at) break;
      this.#due.pop();
      if (this.#dueVersion.get(entry.id) !== entry.version) continue; // superseded entry
      const event = this.#events.get(entry.id)!;
      if (!this.#isClaimable(event, at) || busy(event)) {
        skipped.push(entry);
        continue;
      }
      take(event);
    }
    for (const entry of skipped) this.#due.push(entry);
    return { events, poisoned };
  }

  async startAttempts({ leases }: { now: Date; leases: readonly { eventId: string; leaseToken: string }[] }): Promise<boolean[]> {
    return leases.map(({ eventId, leaseToken }) => {
      const event = this.#events.get(eventId);
      if (!event || this.#leases.get(eventId)?.token !== leaseToken) return false;
      event.attemptsStarted += 1;
      this.#groups.noteAttempts(event);
      return true;
    });
  }

  async finishAttempts(inputs: readonly FinishAttemptInput[]): Promise<boolean[]> {
    return inputs.map((input) => this.#finish(input));
  }

  #finish(input: FinishAttemptInput): boolean {
    const event = this.#events.get(input.eventId);
    const lease = this.#leases.get(input.eventId);
    if (!event || !lease || lease.token !== input.leaseToken) return false;
    this.#release(event);
    if (input.attempt) {
      const attempts = this.#attempts.get(event.id) ?? [];
      attempts.push({ eventId: event.id, number: attempts.length + 1, ...input.attempt });
      this.#attempts.set(event.id, attempts);
    }
    event.status = input.status;
    event.attemptsMade = input.attemptsMade;
    event.attemptsStarted = Math.max(event.attemptsStarted, event.attemptsFinished + 1);
    event.attemptsFinished += 1;
    event.nextAttemptAt = input.nextAttemptAt ?? event.nextAttemptAt;
    event.nextTrigger = input.nextTrigger;
    event.lastError = input.lastError;
    if (input.supersededBy !== undefined) event.supersededBy = input.supersededBy;
    event.updatedAt = input.now;
    if (input.resource) this.#resources.set(event.id, { data: input.resource.data, downloadedAt: input.resource.downloadedAt });
    if (input.watermark) this.#advanceWatermark(input.watermark);
    if (input.status === "queued" || input.status === "retrying") {
      this.#schedule(event.id, event.nextAttemptAt.getTime());
      this.#groups.noteAttempts(event);
    } else this.#unschedule(event);
    return true;
  }

  #advanceWatermark(next: Watermark): void {
    const key = entityKeyString(next);
    const current = this.#watermarks.get(key);
    if (!current) {
      this.#watermarks.set(key, { ...next });
      return;
    }
    // Dates, not numbers: Math.max would turn them into milliseconds.
    // biome-ignore lint/complexity/useMathMinMax: compares Date objects
    const downloadedAt = next.downloadedAt > current.downloadedAt ? next.downloadedAt : current.downloadedAt;
    const newest = isNewerWatermark(next, current) ? next : current;
    const sequence = Math.max(next.downloadSequence ?? 0, current.downloadSequence ?? 0);
    const { downloadSequence: _, ...mark } = newest;
    this.#watermarks.set(key, sequence > 0 ? { ...mark, downloadedAt, downloadSequence: sequence } : { ...mark, downloadedAt });
  }

  async nextDownloadSequence(): Promise<number> {
    this.#downloadSequence += 1;
    return this.#downloadSequence;
  }

  async requeue({ now, ids, filter }: RequeueInput): Promise<string[]> {
    const at = now.getTime();
    const pool = ids ? ids.map((id) => this.#events.get(id)).filter((e) => e !== undefined) : this.#events.values();
    const requeued: string[] = [];
    for (const event of pool) {
      if (filter && !eventMatches(event, filter, this.#resources.get(event.id)?.data)) continue;
      if (event.status === "succeeded") continue;
      const lease = this.#leases.get(event.id);
      if (lease && lease.expiresAt > at) continue;
      this.#release(event);
      event.status = "queued";
      this.#schedule(event.id, at);
      event.nextAttemptAt = now;
      event.nextTrigger = "manual";
      event.supersededBy = null;
      // An operator's retry forgives interrupted attempts: a poisoned event gets its manual attempt.
      event.attemptsStarted = Math.max(event.attemptsStarted, event.attemptsFinished + 1);
      event.attemptsFinished += 1;
      event.updatedAt = now;
      this.#groups.noteAttempts(event);
      requeued.push(event.id);
    }
    return requeued;
  }

  async getWatermarks(keys: readonly EntityKey[]): Promise<Watermark[]> {
    return keys
      .map((key) => this.#watermarks.get(entityKeyString(key)))
      .filter((w) => w !== undefined)
      .map((w) => ({ ...w }));
  }

  async getEvent(id: string): Promise<EventDetails | null> {
    const event = this.#events.get(id);
    if (!event) return null;
    return {
      ...event,
      attemptsRemaining: attemptsRemaining(event),
      attempts: [...(this.#attempts.get(id) ?? [])],
      resourceData: this.#resources.get(id) ?? null,
    };
  }

  async listEvents(input: EventFilter & PageRequest): Promise<Page<EventRecord>> {
    const limit = pageSize(input.limit);
    const ids = [...this.#events.keys()].sort().reverse();
    const items: EventRecord[] = [];
    for (const id of ids) {
      if (input.cursor !== undefined && id >= input.cursor) continue;
      const event = this.#events.get(id)!;
      if (!eventMatches(event, input, this.#resources.get(event.id)?.data)) continue;
      items.push({ ...event });
      if (items.length > limit) break;
    }
    return toPage(items, limit);
  }

  async countEvents(filter: EventFilter): Promise<EventCount[]> {
    const counts = new Map<string, EventCount>();
    for (const event of this.#events.values()) {
      if (!eventMatches(event, filter, this.#resources.get(event.id)?.data)) continue;
      const key = `${event.integration}\u0000${event.status}`;
      const row = counts.get(key);
      counts.set(key, { integration: event.integration, status: event.status, count: (row?.count ?? 0) + 1 });
    }
    return [...counts.values()];
  }

  async nextDueAt(): Promise<Date | null> {
    for (let entry = this.#due.peek(); entry; entry = this.#due.peek()) {
      if (this.#dueVersion.get(entry.id) === entry.version) return new Date(entry.at);
      this.#due.pop(); // superseded
    }
    return null;
  }

  async prune({ olderThan }: { olderThan: Date }): Promise<number> {
    let removed = 0;
    for (const event of [...this.#events.values()]) {
      if ((event.status === "succeeded" || event.status === "stale") && event.updatedAt < olderThan) {
        this.#events.delete(event.id);
        this.#attempts.delete(event.id);
        this.#resources.delete(event.id);
        removed += 1;
      }
    }
    // Deliveries left without events (emptied, refused, duplicates, direct); unparseable ones wait for an operator.
    const withEvents = new Set([...this.#events.values()].map((event) => event.deliveryId));
    for (const delivery of [...this.#deliveries.values()]) {
      if (delivery.receivedAt >= olderThan || delivery.status === "unparseable" || withEvents.has(delivery.id)) continue;
      if (delivery.dedupeKey) this.#dedupe.delete(delivery.dedupeKey);
      this.#deliveries.delete(delivery.id);
    }
    return removed;
  }

  async close(): Promise<void> {}

  #add(event: NewEvent): void {
    const record = newEventRecord(event);
    this.#events.set(record.id, record);
    // A new event is new work: no lookups to find that out.
    this.#groups.open(record);
    this.#offer(record, record.nextAttemptAt.getTime());
  }

  /** Makes `at` the one time the due index offers this event (an event not yet due work becomes work). */
  #schedule(id: string, at: number): void {
    const event = this.#events.get(id)!;
    if (!this.#dueVersion.has(id)) this.#groups.open(event);
    this.#offer(event, at);
  }

  #offer(event: MutableEvent, at: number): void {
    const id = event.id;
    const version = ++this.#versionCounter;
    this.#dueVersion.set(id, version);
    const entry: DueEntry = { at, id, version };
    this.#due.push(entry);
    this.#groups.schedule(event, entry);
  }

  /** The event is no longer work (finished or poisoned): the due index forgets it. */
  #unschedule(event: MutableEvent): void {
    if (!this.#dueVersion.delete(event.id)) return;
    this.#groups.close(event);
  }

  #lease(event: MutableEvent, now: Date, leaseMs: number): ClaimedEvent {
    const token = randomUUID();
    const expiresAt = now.getTime() + leaseMs;
    this.#leases.set(event.id, { token, expiresAt });
    const key = entityKeyString(event);
    const leased = this.#leasedByEntity.get(key) ?? new Map<string, number>();
    leased.set(event.id, expiresAt);
    this.#leasedByEntity.set(key, leased);
    // Offered again when the lease expires: the worker may have died.
    this.#schedule(event.id, expiresAt);
    event.status = "processing";
    event.updatedAt = now;
    return { ...event, leaseToken: token };
  }

  #release(event: MutableEvent): void {
    this.#leases.delete(event.id);
    const key = entityKeyString(event);
    const leased = this.#leasedByEntity.get(key);
    leased?.delete(event.id);
    if (leased?.size === 0) this.#leasedByEntity.delete(key);
  }

  #poison(event: MutableEvent, now: Date): void {
    markPoisoned(event, now);
    this.#release(event);
    this.#unschedule(event);
  }

  #entityBusy(event: MutableEvent, at: number): boolean {
    if (this.#leasedByEntity.size === 0) return false;
    const leased = this.#leasedByEntity.get(entityKeyString(event));
    if (!leased) return false;
    for (const [id, expiresAt] of leased) if (id !== event.id && expiresAt > at) return true;
    return false;
  }

  /** Event ids are primary keys: a repeated id fails the whole write instead of replacing another delivery's event. */
  #assertNewEventIds(method: string, events: readonly NewEvent[]): void {
    // A delivery usually has a handful of events: a scan for repeats within the write beats building a Set.
    const seen = events.length > 16 ? new Set<string>() : undefined;
    for (let i = 0; i < events.length; i += 1) {
      const id = events[i]!.id;
      let repeated = this.#events.has(id);
      if (seen) {
        repeated ||= seen.has(id);
        seen.add(id);
      } else {
        for (let j = 0; j < i && !repeated; j += 1) repeated = events[j]!.id === id;
      }
      if (repeated) throw new StoreError(this.name, `${method} failed: event id already exists`);
    }
  }

  #isClaimable(event: EventRecord, at: number): boolean {
    if (event.status === "queued" || event.status === "retrying") return event.nextAttemptAt.getTime() <= at;
    if (event.status === "processing") {
      const lease = this.#leases.get(event.id);
      return !lease || lease.expiresAt <= at;
    }
    return false;
  }
}
