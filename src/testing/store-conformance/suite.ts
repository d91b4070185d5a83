/**
 * Store conformance suite state: the store under test (new before every test), its siblings, and the
 * helpers every section builds its tests from (seeded deliveries and events, claim/finish shorthands).
 */
import assert from "node:assert/strict";
import { createId } from "../../store-kit/index.ts";
import type {
  ClaimDueInput,
  ClaimedEvent,
  EntityKey,
  EventDetails,
  EventFilter,
  EventStatus,
  FinishAttemptInput,
  NewDelivery,
  NewEvent,
  WebhookStore,
} from "../../index.ts";
import type { ConformanceTestApi, StoreConformanceOptions } from "./api.ts";
import { LEASE_MS, at } from "./fixtures.ts";

/** What each section receives: the runner's functions, the current store and the shared helpers. */
export type ConformanceSuite = ReturnType<typeof createConformanceSuite>;

/** Builds the suite state for `options`; `setUp`/`tearDown` run around every test. */
export function createConformanceSuite(options: StoreConformanceOptions) {
  const { describe, it } = options.test;
  let store: WebhookStore;
  let siblings: WebhookStore[] = [];
  let closed = false;
  let entitySerial = 0;

  /** Skips (when the runner can) or ends a test early; the title already names the missing capability. */
  function skip(context: unknown[], reason: string): void {
    const first = context[0] as { skip?: unknown } | undefined;
    if (first && typeof first.skip === "function") (first.skip as (note: string) => void).call(first, reason);
  }

  function itWithSibling(title: string, body: (sibling: WebhookStore) => Promise<void>): void {
    if (!options.createSibling) {
      const reason = `skipped: needs options.createSibling and capabilities.multiProcess — ${title}`;
      if (it.skip) it.skip(reason, () => {});
      else it(reason, () => {});
      return;
    }
    it(`${title} [needs capabilities.multiProcess]`, async (...context) => {
      if (!store.capabilities.multiProcess) {
        skip(context, "store.capabilities.multiProcess is false");
        return;
      }
      const sibling = await options.createSibling!();
      siblings.push(sibling);
      await sibling.migrate();
      await body(sibling);
    });
  }

  function makeDelivery(seed: Partial<NewDelivery> = {}): NewDelivery {
    return {
      id: createId(),
      integration: "qbo",
      provider: "test",
      tenantIds: ["tenant-1"],
      receivedAt: at(0),
      headers: { "content-type": "application/json", "x-signature": "[redacted]" },
      rawBody: new TextEncoder().encode('{"eventNotifications":[]}'),
      dedupeKey: `key-${createId()}`,
      status: "accepted",
      reason: null,
      response: null,
      ...seed,
    };
  }

  function makeEvent(delivery: NewDelivery, seed: Partial<NewEvent> = {}): NewEvent {
    entitySerial += 1;
    const entityId = seed.entityId ?? `inv-${String(entitySerial).padStart(4, "0")}`;
    return {
      id: createId(),
      deliveryId: delivery.id,
      integration: delivery.integration,
      provider: delivery.provider,
      tenantId: delivery.tenantIds[0] ?? "tenant-1",
      entityType: "Invoice",
      entityId,
      operation: "Update",
      deleted: false,
      occurredAt: at(0),
      receivedAt: delivery.receivedAt,
      mode: "delayed",
      status: "queued",
      maxAttempts: 3,
      nextAttemptAt: delivery.receivedAt,
      nextTrigger: "scheduler",
      payload: { id: entityId, nested: { list: [1, "two", null], flag: true } },
      ...seed,
    };
  }

  /** Inserts one delivery with one event per seed; returns what was inserted. */
  async function insert(
    deliverySeed: Partial<NewDelivery> = {},
    eventSeeds: readonly Partial<NewEvent>[] = [{}],
  ): Promise<{ delivery: NewDelivery; events: NewEvent[] }> {
    const delivery = makeDelivery(deliverySeed);
    const events = eventSeeds.map((seed) => makeEvent(delivery, seed));
    const result = await store.insertDelivery({ delivery, events });
    assert.deepEqual(result, { status: "inserted", deliveryId: delivery.id });
    return { delivery, events };
  }

  async function insertEvent(seed: Partial<NewEvent> = {}, deliverySeed: Partial<NewDelivery> = {}): Promise<NewEvent> {
    const { events } = await insert(deliverySeed, [seed]);
    return events[0]!;
  }

  /** Claims, then (with `startAttempts`) starts every claimed event, as a pass that runs their handlers does. */
  async function claim(input: Partial<ClaimDueInput> & { now: Date }, target: WebhookStore = store) {
    const result = await claimOnly(input, target);
    if (!target.startAttempts || result.events.length === 0) return result;
    const started = await target.startAttempts({ now: input.now, leases: result.events.map((e) => ({ eventId: e.id, leaseToken: e.leaseToken })) });
    assert.ok(started.every(Boolean), "startAttempts refused a lease its claim just handed out");
    return { ...result, events: result.events.map((e) => ({ ...e, attemptsStarted: e.attemptsStarted + 1 })) };
  }

  /** Claims without starting anything (the handlers never ran). */
  function claimOnly(input: Partial<ClaimDueInput> & { now: Date }, target: WebhookStore = store) {
    return target.claimDue({ limit: 100, leaseMs: LEASE_MS, workerId: "worker-a", ...input });
  }

  async function claimOne(id: string, now: Date, leaseMs = LEASE_MS): Promise<ClaimedEvent> {
    const { events } = await claim({ now, ids: [id], leaseMs });
    assert.equal(events.length, 1, `expected to claim ${id}`);
    return events[0]!;
  }

  function finishInput(claimed: ClaimedEvent, seed: Partial<FinishAttemptInput> = {}): FinishAttemptInput {
    const now = seed.now ?? at(1_000);
    return {
      eventId: claimed.id,
      leaseToken: claimed.leaseToken,
      attempt: { trigger: claimed.nextTrigger, startedAt: at(500), endedAt: now, outcome: "succeeded", error: null },
      status: "succeeded",
      attemptsMade: claimed.attemptsMade + 1,
      nextAttemptAt: null,
      nextTrigger: "scheduler",
      lastError: null,
      now,
      ...seed,
    };
  }

  async function finishOne(claimed: ClaimedEvent, seed: Partial<FinishAttemptInput> = {}): Promise<boolean> {
    const results = await store.finishAttempts([finishInput(claimed, seed)]);
    assert.equal(results.length, 1);
    return results[0]!;
  }

  async function mustGetEvent(id: string, target: WebhookStore = store): Promise<EventDetails> {
    const event = await target.getEvent(id);
    assert.ok(event, `event ${id} should exist`);
    return event;
  }

  /** Drives one event to `status` through the public contract. */
  async function eventWithStatus(status: EventStatus, seed: Partial<NewEvent> = {}, finishedAt = at(1_000)): Promise<NewEvent> {
    const event = await insertEvent(seed);
    if (status === "queued") return event;
    const claimed = await claimOne(event.id, event.nextAttemptAt);
    if (status === "processing") return event;
    const fields: Partial<FinishAttemptInput> = { status, now: finishedAt };
    if (status === "retrying") Object.assign(fields, { nextAttemptAt: at(3_600_000), lastError: "boom" });
    if (status === "failed") Object.assign(fields, { lastError: "boom", attemptsMade: claimed.maxAttempts });
    if (status === "stale") Object.assign(fields, { supersededBy: "another-event" });
    assert.equal(await finishOne(claimed, fields), true);
    return event;
  }

  async function listAllEventIds(filter: EventFilter = {}): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await store.listEvents({ ...filter, limit: 500, ...(cursor === undefined ? {} : { cursor }) });
      ids.push(...page.items.map((item) => item.id));
      if (page.nextCursor === null) return ids;
      cursor = page.nextCursor;
    }
  }

  function newestFirst(ids: readonly string[]): string[] {
    return [...ids].sort().reverse();
  }

  function keyOf(event: EntityKey): EntityKey {
    return { integration: event.integration, tenantId: event.tenantId, entityType: event.entityType, entityId: event.entityId };
  }

  function bytesOf(value: Uint8Array): number[] {
    assert.ok(value instanceof Uint8Array, "rawBody must be a Uint8Array");
    return Array.from(value);
  }

  async function setUp(): Promise<void> {
    siblings = [];
    closed = false;
    store = await options.create();
    await store.migrate();
    await store.migrate(); // must be idempotent
  }

  async function tearDown(): Promise<void> {
    for (const sibling of siblings) await sibling.close();
    if (!closed) await store.close();
    await options.dispose?.();
  }

  return {
    describe: describe as ConformanceTestApi["describe"],
    it: it as ConformanceTestApi["it"],
    /** The store of the running test. */
    get store(): WebhookStore {
      return store;
    },
    /** The test closed the store itself; tear-down must not close it again. */
    markClosed(): void {
      closed = true;
    },
    setUp,
    tearDown,
    skip,
    itWithSibling,
    makeDelivery,
    makeEvent,
    insert,
    insertEvent,
    claim,
    claimOnly,
    claimOne,
    finishInput,
    finishOne,
    mustGetEvent,
    eventWithStatus,
    listAllEventIds,
    newestFirst,
    keyOf,
    bytesOf,
  };
}
