/**
 * A skeleton for your own store adapter: every `WebhookStore` method, each delegating to an inner
 * store and reporting how long it took. Replace the delegation with your database's queries, method by
 * method, and keep running the conformance suite (conformance.test.ts) until it passes unchanged.
 */
import type {
  ClaimDueInput,
  ClaimResult,
  DeliveryFilter,
  DeliveryRecord,
  DeliverySummary,
  EntityKey,
  EventCount,
  EventDetails,
  EventFilter,
  EventRecord,
  FinishAttemptInput,
  InsertDeliveryResult,
  NewDelivery,
  NewEvent,
  Page,
  PageRequest,
  RequeueInput,
  StoreCapabilities,
  UpdateDeliveryInput,
  Watermark,
  WebhookStore,
} from "webhook-inbox";

export class InstrumentedStore implements WebhookStore {
  readonly name: string;
  readonly capabilities: StoreCapabilities;

  constructor(
    private readonly inner: WebhookStore,
    private readonly report: (method: string, ms: number) => void = () => {},
  ) {
    this.name = `instrumented-${inner.name}`;
    this.capabilities = inner.capabilities;
  }

  async #timed<T>(method: string, run: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await run();
    } finally {
      this.report(method, performance.now() - start);
    }
  }

  /** Create or upgrade your schema; idempotent, safe when several instances start together. */
  migrate(): Promise<void> {
    return this.#timed("migrate", () => this.inner.migrate());
  }
  /** One transaction: the delivery and all its events, or a `duplicate` delivery when the dedupe key is taken. */
  insertDelivery(input: { delivery: NewDelivery; events: readonly NewEvent[] }): Promise<InsertDeliveryResult> {
    return this.#timed("insertDelivery", () => this.inner.insertDelivery(input));
  }
  updateDelivery(input: UpdateDeliveryInput): Promise<boolean> {
    return this.#timed("updateDelivery", () => this.inner.updateDelivery(input));
  }
  getDelivery(id: string): Promise<DeliveryRecord | null> {
    return this.#timed("getDelivery", () => this.inner.getDelivery(id));
  }
  listDeliveries(input: DeliveryFilter & PageRequest): Promise<Page<DeliverySummary>> {
    return this.#timed("listDeliveries", () => this.inner.listDeliveries(input));
  }
  /** Lease due events; never hand one event to two callers while its lease lives. */
  claimDue(input: ClaimDueInput): Promise<ClaimResult> {
    return this.#timed("claimDue", () => this.inner.claimDue(input));
  }
  /** Counts started attempts right before handlers run (optional: without it, every claim counts). */
  startAttempts(input: { now: Date; leases: readonly { eventId: string; leaseToken: string }[] }): Promise<boolean[]> {
    // An inner store without it counted the start when it claimed: nothing more to count.
    return this.#timed("startAttempts", () => this.inner.startAttempts?.(input) ?? Promise.resolve(input.leases.map(() => true)));
  }
  /** Each finish in one transaction, guarded by its lease token. */
  finishAttempts(inputs: readonly FinishAttemptInput[], transaction?: unknown): Promise<boolean[]> {
    return this.#timed("finishAttempts", () => this.inner.finishAttempts(inputs, transaction));
  }
  requeue(input: RequeueInput): Promise<string[]> {
    return this.#timed("requeue", () => this.inner.requeue(input));
  }
  getWatermarks(keys: readonly EntityKey[]): Promise<Watermark[]> {
    return this.#timed("getWatermarks", () => this.inner.getWatermarks(keys));
  }
  getEvent(id: string): Promise<EventDetails | null> {
    return this.#timed("getEvent", () => this.inner.getEvent(id));
  }
  listEvents(input: EventFilter & PageRequest): Promise<Page<EventRecord>> {
    return this.#timed("listEvents", () => this.inner.listEvents(input));
  }
  countEvents(filter: EventFilter): Promise<EventCount[]> {
    return this.#timed("countEvents", () => this.inner.countEvents(filter));
  }
  nextDueAt(): Promise<Date | null> {
    return this.#timed("nextDueAt", () => this.inner.nextDueAt());
  }
  prune(input: { olderThan: Date }): Promise<number> {
    return this.#timed("prune", () => this.inner.prune(input));
  }
  close(): Promise<void> {
    return this.#timed("close", () => this.inner.close());
  }
}
