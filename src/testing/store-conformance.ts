import assert from "node:assert/strict";
import { createId, isWebhookInboxError, poisonMessage } from "../index.ts";
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
  Watermark,
  WebhookStore,
} from "../index.ts";

/** A test body; rest parameters keep `length === 0`, so jest never mistakes it for a `done`-callback test. */
export type ConformanceTestBody = (...context: unknown[]) => Promise<void> | void;

/**
 * The test-runner functions the suite registers its tests with. vitest, jest and node:test all fit:
 * pass the runner's own module (`import * as vitest from "vitest"`) or `{ describe, it, beforeEach, afterEach }`.
 */
export interface ConformanceTestApi {
  describe(name: string, fn: () => void): unknown;
  it: ((name: string, fn: ConformanceTestBody) => unknown) & {
    /** Used, when present, for tests that cannot run with the given options. */
    skip?: (name: string, fn: ConformanceTestBody) => unknown;
  };
  beforeEach(fn: () => Promise<void>): unknown;
  afterEach(fn: () => Promise<void>): unknown;
}

/** Options of {@link describeStoreConformance}. */
export interface StoreConformanceOptions {
  /** Title of the describe() block, e.g. "PostgresStore". */
  name: string;
  /**
   * Returns a store over an EMPTY database (the suite calls `migrate()` itself, twice). Called before
   * every test, so the contract needs no truncate/reset method: `new MemoryStore()`, a temp SQLite
   * file, a fresh PostgreSQL schema.
   */
  create(): Promise<WebhookStore>;
  /** Optional second store over the SAME database as the last `create()`, to play "another process". */
  createSibling?(): Promise<WebhookStore>;
  /** Removes what `create()` made (schema, file). The suite closes its stores first. */
  dispose?(): Promise<void>;
  /** The host's test runner. */
  test: ConformanceTestApi;
}

/** Fixed clock: the suite never sleeps; where timing matters it moves `now` forward. */
const T0 = Date.parse("2030-01-01T00:00:00.000Z");
const LEASE_MS = 60_000;

function at(offsetMs: number): Date {
  return new Date(T0 + offsetMs);
}

/** Bytes that are not valid UTF-8, so a store that round-trips bodies through text fails. */
const BINARY_BODY = Uint8Array.from([0x7b, 0x00, 0xff, 0xfe, 0x80, 0x0d, 0x0a, 0xc3, 0x28, 0x7d]);

/**
 * Registers the `WebhookStore` contract as tests. A store is done when its test file calls this
 * unmodified. Tests that need a capability the store lacks are skipped, and their titles say which.
 *
 * @example
 * ```ts
 * import * as vitest from "vitest";
 * import { MemoryStore } from "webhook-inbox";
 * import { describeStoreConformance } from "webhook-inbox/testing";
 *
 * describeStoreConformance({ name: "MemoryStore", create: async () => new MemoryStore(), test: vitest });
 * ```
 */
export function describeStoreConformance(options: StoreConformanceOptions): void {
  const { describe, it, beforeEach, afterEach } = options.test;
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

  function claim(input: Partial<ClaimDueInput> & { now: Date }, target: WebhookStore = store) {
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

  describe(`WebhookStore conformance: ${options.name}`, () => {
    beforeEach(async () => {
      siblings = [];
      closed = false;
      store = await options.create();
      await store.migrate();
      await store.migrate(); // must be idempotent
    });

    afterEach(async () => {
      for (const sibling of siblings) await sibling.close();
      if (!closed) await store.close();
      await options.dispose?.();
    });

    describe("1. insertDelivery", () => {
      it("stores a delivery and all its events together, with the exact bytes and headers", async () => {
        const delivery = makeDelivery({
          tenantIds: ["tenant-1", "tenant-2"],
          rawBody: BINARY_BODY,
          headers: { "content-type": "application/json", "intuit-signature": "[redacted]", "x-multi": "a, b" },
        });
        const events = [
          makeEvent(delivery, { tenantId: "tenant-1", occurredAt: at(-5_000) }),
          makeEvent(delivery, { tenantId: "tenant-2", entityType: "Customer", deleted: true, operation: "Delete" }),
        ];
        assert.deepEqual(await store.insertDelivery({ delivery, events }), { status: "inserted", deliveryId: delivery.id });

        const stored = await store.getDelivery(delivery.id);
        assert.ok(stored);
        assert.deepEqual(bytesOf(stored.rawBody), bytesOf(BINARY_BODY));
        const { rawBody: _rawBody, ...rest } = stored;
        const { rawBody: _expected, ...expected } = delivery;
        assert.deepEqual(rest, { ...expected, duplicateOf: null, eventCount: 2 });

        const listed = await store.listEvents({ deliveryId: delivery.id });
        assert.deepEqual(listed.items.map((e) => e.id), newestFirst(events.map((e) => e.id)));
        for (const event of events) {
          const details = await mustGetEvent(event.id);
          const { status: _status, ...fields } = event;
          assert.deepEqual(details, {
            ...fields,
            status: "queued",
            attemptsMade: 0,
            attemptsStarted: 0,
            attemptsFinished: 0,
            lastError: null,
            supersededBy: null,
            updatedAt: event.receivedAt,
            attemptsRemaining: event.maxAttempts,
            attempts: [],
            resourceData: null,
          });
        }
      });

      it("stores an empty body and a delivery without events", async () => {
        const delivery = makeDelivery({ rawBody: new Uint8Array(0), status: "unparseable", reason: "not JSON" });
        await store.insertDelivery({ delivery, events: [] });
        const stored = await store.getDelivery(delivery.id);
        assert.ok(stored);
        assert.deepEqual(bytesOf(stored.rawBody), []);
        assert.equal(stored.eventCount, 0);
        assert.equal(stored.status, "unparseable");
        assert.equal(stored.reason, "not JSON");
      });

      it("stores nothing of a delivery whose insert fails (an event id already taken)", async () => {
        const taken = await insertEvent();
        const delivery = makeDelivery();
        const fresh = makeEvent(delivery);
        await assert.rejects(
          store.insertDelivery({ delivery, events: [fresh, { ...makeEvent(delivery), id: taken.id }] }),
          (error) => isWebhookInboxError(error) && error.code === "STORE_FAILED",
        );
        assert.equal(await store.getDelivery(delivery.id), null);
        assert.equal(await store.getEvent(fresh.id), null);
        const original = await mustGetEvent(taken.id);
        assert.equal(original.deliveryId, taken.deliveryId);
        // The failed insert did not take the dedupe key either.
        const retry = makeDelivery({ dedupeKey: delivery.dedupeKey });
        assert.equal((await store.insertDelivery({ delivery: retry, events: [makeEvent(retry)] })).status, "inserted");
      });

      it("stores concurrent inserts independently: one failing insert does not fail the others", async () => {
        const taken = await insertEvent();
        const inputs = Array.from({ length: 20 }, () => {
          const delivery = makeDelivery();
          return { delivery, events: [makeEvent(delivery), makeEvent(delivery)] };
        });
        const bad = makeDelivery();
        const badInput = { delivery: bad, events: [makeEvent(bad), { ...makeEvent(bad), id: taken.id }] };
        const all = [...inputs.slice(0, 10), badInput, ...inputs.slice(10)];
        const results = await Promise.allSettled(all.map((input) => store.insertDelivery(input)));
        results.forEach((result, index) => {
          if (all[index] === badInput) {
            assert.equal(result.status, "rejected");
            assert.ok(result.status === "rejected" && isWebhookInboxError(result.reason) && result.reason.code === "STORE_FAILED");
          } else {
            assert.equal(result.status, "fulfilled");
            assert.deepEqual(result.status === "fulfilled" && result.value, { status: "inserted", deliveryId: all[index]!.delivery.id });
          }
        });
        assert.equal(await store.getDelivery(bad.id), null);
        const expected = [taken.id, ...inputs.flatMap((input) => input.events.map((e) => e.id))];
        assert.deepEqual(await listAllEventIds(), newestFirst(expected));
      });

      it("logs a repeated dedupeKey as a duplicate delivery pointing at the original, with no new events", async () => {
        const { delivery: original, events } = await insert({ dedupeKey: "qbo:abc" }, [{}, {}]);
        const again = makeDelivery({ dedupeKey: "qbo:abc", receivedAt: at(5_000) });
        const againEvents = [makeEvent(again)];
        assert.deepEqual(await store.insertDelivery({ delivery: again, events: againEvents }), {
          status: "duplicate",
          deliveryId: again.id,
          duplicateOf: original.id,
        });
        const logged = await store.getDelivery(again.id);
        assert.ok(logged);
        assert.equal(logged.status, "duplicate");
        assert.equal(logged.duplicateOf, original.id);
        assert.equal(logged.eventCount, 0);
        assert.deepEqual(bytesOf(logged.rawBody), bytesOf(again.rawBody));
        assert.equal(await store.getEvent(againEvents[0]!.id), null);
        assert.deepEqual(await listAllEventIds(), newestFirst(events.map((e) => e.id)));

        // A third copy still points at the original, not at the duplicate.
        const third = makeDelivery({ dedupeKey: "qbo:abc" });
        const result = await store.insertDelivery({ delivery: third, events: [makeEvent(third)] });
        assert.deepEqual(result, { status: "duplicate", deliveryId: third.id, duplicateOf: original.id });
      });

      it("detects duplicates among concurrent inserts: exactly one wins", async () => {
        const copies = Array.from({ length: 6 }, () => {
          const delivery = makeDelivery({ dedupeKey: "xero:same" });
          return { delivery, events: [makeEvent(delivery)] };
        });
        const results = await Promise.all(copies.map((copy) => store.insertDelivery(copy)));
        const winners = results.filter((r) => r.status === "inserted");
        assert.equal(winners.length, 1);
        const winner = winners[0]!.deliveryId;
        for (const result of results) {
          if (result.status === "duplicate") assert.equal(result.duplicateOf, winner);
        }
        const winningEvent = copies.find((copy) => copy.delivery.id === winner)!.events[0]!;
        assert.deepEqual(await listAllEventIds(), [winningEvent.id]);
      });

      it("never de-duplicates deliveries without a key (rejected requests), and keeps their reason", async () => {
        const first = makeDelivery({ dedupeKey: null, status: "rejected", reason: "signature missing or invalid" });
        const second = makeDelivery({ dedupeKey: null, status: "rejected", reason: "signature missing or invalid" });
        const response = { status: 401, headers: { "content-type": "text/plain" }, body: "unauthorized" };
        for (const delivery of [first, second]) {
          const result = await store.insertDelivery({ delivery: { ...delivery, response }, events: [] });
          assert.deepEqual(result, { status: "inserted", deliveryId: delivery.id });
        }
        const stored = await store.getDelivery(second.id);
        assert.ok(stored);
        assert.equal(stored.status, "rejected");
        assert.equal(stored.reason, "signature missing or invalid");
        assert.equal(stored.dedupeKey, null);
        assert.deepEqual(stored.response, response);
      });
    });

    describe("2. updateDelivery", () => {
      it("changes status, reason and response", async () => {
        const { delivery } = await insert({ status: "accepted" });
        const response = { status: 500, headers: { "content-type": "application/json" }, body: '{"error":"handler failed"}' };
        await store.updateDelivery({ id: delivery.id, status: "failed", reason: "handler failed", response });
        const stored = await store.getDelivery(delivery.id);
        assert.ok(stored);
        assert.equal(stored.status, "failed");
        assert.equal(stored.reason, "handler failed");
        assert.deepEqual(stored.response, response);
        assert.deepEqual(bytesOf(stored.rawBody), bytesOf(delivery.rawBody));

        await store.updateDelivery({ id: delivery.id, reason: null });
        const cleared = await store.getDelivery(delivery.id);
        assert.equal(cleared?.reason, null);
        assert.equal(cleared?.status, "failed");
        assert.deepEqual(cleared?.response, response);
      });

      it("releaseDedupeKey lets the provider's resend be stored again", async () => {
        const { delivery } = await insert({ dedupeKey: "qbo:resend" });
        const blocked = makeDelivery({ dedupeKey: "qbo:resend" });
        assert.equal((await store.insertDelivery({ delivery: blocked, events: [] })).status, "duplicate");

        await store.updateDelivery({ id: delivery.id, status: "failed", releaseDedupeKey: true });
        const resend = makeDelivery({ dedupeKey: "qbo:resend" });
        assert.deepEqual(await store.insertDelivery({ delivery: resend, events: [makeEvent(resend)] }), {
          status: "inserted",
          deliveryId: resend.id,
        });
        const next = makeDelivery({ dedupeKey: "qbo:resend" });
        const result = await store.insertDelivery({ delivery: next, events: [] });
        assert.deepEqual(result, { status: "duplicate", deliveryId: next.id, duplicateOf: resend.id });
      });

      it("adds events (re-parsing an unparseable delivery) together with the update", async () => {
        const delivery = makeDelivery({ status: "unparseable", reason: "bad JSON", tenantIds: [] });
        await store.insertDelivery({ delivery, events: [] });
        const events = [makeEvent(delivery, { tenantId: "tenant-7" }), makeEvent(delivery, { tenantId: "tenant-8" })];
        await store.updateDelivery({ id: delivery.id, status: "accepted", reason: null, events, tenantIds: ["tenant-7", "tenant-8"] });
        const stored = await store.getDelivery(delivery.id);
        assert.ok(stored);
        assert.equal(stored.status, "accepted");
        assert.equal(stored.reason, null);
        assert.equal(stored.eventCount, 2);
        assert.deepEqual(stored.tenantIds, ["tenant-7", "tenant-8"]);
        assert.deepEqual(await listAllEventIds({ deliveryId: delivery.id }), newestFirst(events.map((e) => e.id)));
        assert.equal((await mustGetEvent(events[1]!.id)).status, "queued");
      });
    });

    describe("3. claimDue", () => {
      it("returns only due events, earliest nextAttemptAt first, at most `limit`", async () => {
        const late = await insertEvent({ nextAttemptAt: at(3_000) });
        const early = await insertEvent({ nextAttemptAt: at(1_000) });
        const middle = await insertEvent({ nextAttemptAt: at(2_000) });
        const future = await insertEvent({ nextAttemptAt: at(10_000) });
        await eventWithStatus("succeeded", { nextAttemptAt: at(0) });
        await eventWithStatus("failed", { nextAttemptAt: at(0) });
        await eventWithStatus("stale", { nextAttemptAt: at(0) });

        const first = await claim({ now: at(5_000), limit: 2 });
        assert.deepEqual(first.events.map((e) => e.id), [early.id, middle.id]);
        assert.deepEqual(first.poisoned, []);
        for (const claimed of first.events) {
          assert.equal(claimed.status, "processing");
          assert.equal(claimed.attemptsStarted, 1);
          assert.equal(claimed.attemptsFinished, 0);
          assert.equal(typeof claimed.leaseToken, "string");
          assert.ok(claimed.leaseToken.length > 0);
        }
        assert.notEqual(first.events[0]!.leaseToken, first.events[1]!.leaseToken);
        assert.deepEqual(first.events[0]!.payload, early.payload);

        const second = await claim({ now: at(5_000), limit: 10 });
        assert.deepEqual(second.events.map((e) => e.id), [late.id]);
        assert.deepEqual((await claim({ now: at(5_000) })).events, []);
        assert.deepEqual((await claim({ now: at(10_000) })).events.map((e) => e.id), [future.id]);
        assert.equal((await mustGetEvent(early.id)).status, "processing");
      });

      it("with `ids`, considers only those events (still only due ones)", async () => {
        const a = await insertEvent({ nextAttemptAt: at(0) });
        const b = await insertEvent({ nextAttemptAt: at(1_000) });
        const notDue = await insertEvent({ nextAttemptAt: at(60_000) });
        const result = await claim({ now: at(2_000), ids: [b.id, notDue.id, createId()] });
        assert.deepEqual(result.events.map((e) => e.id), [b.id]);
        assert.equal((await mustGetEvent(a.id)).status, "queued");
        assert.deepEqual((await claim({ now: at(2_000) })).events.map((e) => e.id), [a.id]);
      });

      it("never re-issues an event under a live lease", async () => {
        const event = await insertEvent();
        await claimOne(event.id, at(0));
        assert.deepEqual((await claim({ now: at(LEASE_MS - 1) })).events, []);
        assert.deepEqual((await claim({ now: at(LEASE_MS - 1), ids: [event.id] })).events, []);
        const details = await mustGetEvent(event.id);
        assert.equal(details.attemptsStarted, 1);
      });

      it("reclaims an event whose lease expired, counting another started attempt", async () => {
        const event = await insertEvent();
        const first = await claimOne(event.id, at(0));
        const { events } = await claim({ now: at(LEASE_MS + 1), workerId: "worker-b" });
        assert.deepEqual(events.map((e) => e.id), [event.id]);
        const second = events[0]!;
        assert.notEqual(second.leaseToken, first.leaseToken);
        assert.equal(second.attemptsStarted, 2);
        assert.equal(second.attemptsFinished, 0);
        assert.equal((await mustGetEvent(event.id)).attemptsStarted, 2);
      });

      it("gives each event to exactly one of 10 concurrent claimers", async () => {
        const ids: string[] = [];
        for (let i = 0; i < 5; i += 1) {
          const { events } = await insert({}, Array.from({ length: 5 }, (_, j) => ({ nextAttemptAt: at(i * 10 + j) })));
          ids.push(...events.map((e) => e.id));
        }
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, worker) => claim({ now: at(1_000), limit: 3, workerId: `worker-${worker}` })),
        );
        const claimed = results.flatMap((r) => r.events.map((e) => e.id));
        assert.equal(new Set(claimed).size, claimed.length, "an event was handed out twice");
        assert.deepEqual([...claimed].sort(), [...ids].sort());
        const tokens = results.flatMap((r) => r.events.map((e) => e.leaseToken));
        assert.equal(new Set(tokens).size, tokens.length);
      });

      itWithSibling("never hands one event to two store instances over the same database", async (sibling) => {
        const ids: string[] = [];
        for (let i = 0; i < 4; i += 1) {
          const { events } = await insert({}, Array.from({ length: 10 }, () => ({})));
          ids.push(...events.map((e) => e.id));
        }
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, worker) =>
            claim({ now: at(1_000), limit: 6, workerId: `worker-${worker}` }, worker % 2 === 0 ? store : sibling),
          ),
        );
        const claimed = results.flatMap((r) => r.events.map((e) => e.id));
        assert.equal(new Set(claimed).size, claimed.length, "an event was handed out twice");
        assert.deepEqual([...claimed].sort(), [...ids].sort());
        // The sibling sees the leases and the state the first instance wrote.
        assert.deepEqual((await claim({ now: at(2_000) }, sibling)).events, []);
        assert.equal((await mustGetEvent(ids[0]!, sibling)).status, "processing");
      });

      itWithSibling("lets a sibling finish an event it reclaimed after the lease expired", async (sibling) => {
        const event = await insertEvent();
        const lost = await claimOne(event.id, at(0));
        const { events } = await claim({ now: at(LEASE_MS + 1), workerId: "worker-b" }, sibling);
        assert.deepEqual(events.map((e) => e.id), [event.id]);
        assert.deepEqual(await store.finishAttempts([finishInput(lost)]), [false]);
        assert.deepEqual(await sibling.finishAttempts([finishInput(events[0]!)]), [true]);
        assert.equal((await mustGetEvent(event.id)).status, "succeeded");
      });
    });

    describe("3b. one claimer per entity", () => {
      it("skips events of an entity while another of its events is under a live lease", async () => {
        const first = await insertEvent({ entityId: "shared-entity" });
        await claimOne(first.id, at(0));
        const second = await insertEvent({ entityId: "shared-entity" });
        const unrelated = await insertEvent({ entityId: "other-entity" });
        const during = await claim({ now: at(1_000) });
        assert.deepEqual(during.events.map((e) => e.id), [unrelated.id]);
        const after = await claim({ now: at(LEASE_MS + 1) }); // the first lease expired
        assert.deepEqual(after.events.map((e) => e.id).sort(), [first.id, second.id].sort());
      });
    });

    describe("4. poison events", () => {
      it("marks an event failed once its started-but-unfinished attempts reach maxAttempts", async () => {
        const event = await insertEvent({ maxAttempts: 2 });
        await claimOne(event.id, at(0));
        await claimOne(event.id, at(LEASE_MS + 1));
        const other = await insertEvent({ nextAttemptAt: at(LEASE_MS) });

        const result = await claim({ now: at(2 * LEASE_MS + 2) });
        assert.deepEqual(result.events.map((e) => e.id), [other.id]);
        assert.equal(result.poisoned.length, 1);
        const poisoned = result.poisoned[0]!;
        assert.equal(poisoned.id, event.id);
        assert.equal(poisoned.status, "failed");
        assert.equal(poisoned.lastError, poisonMessage({ attemptsStarted: 2, attemptsFinished: 0 }));

        const details = await mustGetEvent(event.id);
        assert.equal(details.status, "failed");
        assert.equal(details.lastError, poisoned.lastError);
        assert.equal(details.attemptsStarted, 2);
        assert.deepEqual(details.updatedAt, at(2 * LEASE_MS + 2));
        assert.deepEqual((await claim({ now: at(10 * LEASE_MS) })).events.map((e) => e.id), [other.id]);
        assert.deepEqual((await claim({ now: at(10 * LEASE_MS) })).poisoned, []);
      });

      it("lets an operator's requeue give a poisoned event its attempt (interrupted attempts forgiven)", async () => {
        const event = await insertEvent({ maxAttempts: 1 });
        await claimOne(event.id, at(0));
        const poisoned = await claim({ now: at(LEASE_MS + 1) });
        assert.deepEqual(poisoned.poisoned.map((e) => e.id), [event.id]);
        assert.deepEqual(await store.requeue({ now: at(LEASE_MS + 2), ids: [event.id] }), [event.id]);
        const again = await claim({ now: at(LEASE_MS + 3), ids: [event.id] });
        assert.deepEqual(again.events.map((e) => e.id), [event.id]);
        assert.deepEqual(again.poisoned, []);
        assert.equal(again.events[0]!.nextTrigger, "manual");
      });

      it("counts only unfinished attempts: finished ones do not make an event poison", async () => {
        const event = await insertEvent({ maxAttempts: 2 });
        const first = await claimOne(event.id, at(0));
        await finishOne(first, { status: "retrying", attemptsMade: 1, nextAttemptAt: at(1_000), lastError: "boom" });
        await claimOne(event.id, at(1_000)); // interrupted: never finished
        const { events, poisoned } = await claim({ now: at(1_000 + LEASE_MS + 1) });
        assert.deepEqual(events.map((e) => e.id), [event.id]);
        assert.deepEqual(poisoned, []);
        assert.equal(events[0]!.attemptsStarted, 3);
        assert.equal(events[0]!.attemptsFinished, 1);
      });
    });

    describe("5. finishAttempts", () => {
      it("records the attempt, the status fields and the resource data, and releases the lease", async () => {
        const event = await insertEvent();
        const claimed = await claimOne(event.id, at(0));
        const resource = { data: { Id: "42", TotalAmt: 12.5, Line: [{ Amount: 12.5 }] }, downloadedAt: at(400) };
        const ok = await finishOne(claimed, { resource, now: at(1_000) });
        assert.equal(ok, true);

        const details = await mustGetEvent(event.id);
        assert.equal(details.status, "succeeded");
        assert.equal(details.attemptsMade, 1);
        assert.equal(details.attemptsStarted, 1);
        assert.equal(details.attemptsFinished, 1);
        assert.equal(details.attemptsRemaining, 0); // final: nothing left to spend
        assert.equal(details.lastError, null);
        assert.deepEqual(details.updatedAt, at(1_000));
        assert.deepEqual(details.resourceData, resource);
        assert.deepEqual(details.attempts, [
          { eventId: event.id, number: 1, trigger: "scheduler", startedAt: at(500), endedAt: at(1_000), outcome: "succeeded", error: null },
        ]);
        // Finished: not due any more, and the token is spent.
        assert.deepEqual((await claim({ now: at(10 * LEASE_MS) })).events, []);
        assert.deepEqual(await store.finishAttempts([finishInput(claimed)]), [false]);
      });

      it("numbers attempts 1.. across retries and keeps each outcome", async () => {
        const event = await insertEvent({ maxAttempts: 3 });
        const first = await claimOne(event.id, at(0));
        assert.equal(
          await finishOne(first, {
            attempt: { trigger: "scheduler", startedAt: at(10), endedAt: at(20), outcome: "failed", error: "HTTP 500" },
            status: "retrying",
            attemptsMade: 1,
            nextAttemptAt: at(5_000),
            nextTrigger: "scheduler",
            lastError: "HTTP 500",
            now: at(20),
          }),
          true,
        );
        const retrying = await mustGetEvent(event.id);
        assert.equal(retrying.status, "retrying");
        assert.deepEqual(retrying.nextAttemptAt, at(5_000));
        assert.equal(retrying.lastError, "HTTP 500");
        assert.equal(retrying.attemptsRemaining, 2);
        assert.deepEqual((await claim({ now: at(4_999) })).events, []);

        const second = await claimOne(event.id, at(5_000));
        await finishOne(second, {
          attempt: { trigger: "scheduler", startedAt: at(5_000), endedAt: at(5_010), outcome: "rate_limited", error: "429" },
          status: "retrying",
          attemptsMade: 1,
          nextAttemptAt: at(9_000),
          lastError: "429",
          now: at(5_010),
        });
        const third = await claimOne(event.id, at(9_000));
        await finishOne(third, {
          attempt: { trigger: "manual", startedAt: at(9_000), endedAt: at(9_001), outcome: "succeeded", error: null },
          attemptsMade: 1,
          now: at(9_001),
        });
        const details = await mustGetEvent(event.id);
        assert.deepEqual(details.attempts.map((a) => [a.number, a.outcome, a.trigger, a.error]), [
          [1, "failed", "scheduler", "HTTP 500"],
          [2, "rate_limited", "scheduler", "429"],
          [3, "succeeded", "manual", null],
        ]);
        assert.equal(details.attemptsMade, 1);
        assert.equal(details.attemptsStarted, 3);
        assert.equal(details.attemptsFinished, 3);
        assert.equal(details.status, "succeeded");
      });

      it("releases an event without recording an attempt when `attempt` is null", async () => {
        const event = await insertEvent();
        const claimed = await claimOne(event.id, at(0));
        await finishOne(claimed, {
          attempt: null,
          status: "queued",
          attemptsMade: 0,
          nextAttemptAt: at(30_000),
          nextTrigger: "scheduler",
          now: at(100),
        });
        const details = await mustGetEvent(event.id);
        assert.equal(details.status, "queued");
        assert.deepEqual(details.attempts, []);
        assert.equal(details.attemptsFinished, 1);
        assert.deepEqual(details.nextAttemptAt, at(30_000));
        assert.deepEqual((await claim({ now: at(29_999) })).events, []);
        assert.deepEqual((await claim({ now: at(30_000) })).events.map((e) => e.id), [event.id]);
      });

      it("records stale events with what superseded them, and resource data that is null", async () => {
        const event = await insertEvent();
        const claimed = await claimOne(event.id, at(0));
        await finishOne(claimed, {
          attempt: { trigger: "scheduler", startedAt: at(10), endedAt: at(11), outcome: "stale", error: null },
          status: "stale",
          supersededBy: "download:2030-01-01T00:00:00.400Z",
          resource: { data: null, downloadedAt: at(5) },
        });
        const details = await mustGetEvent(event.id);
        assert.equal(details.status, "stale");
        assert.equal(details.supersededBy, "download:2030-01-01T00:00:00.400Z");
        assert.deepEqual(details.resourceData, { data: null, downloadedAt: at(5) });
        assert.equal(details.attempts[0]?.outcome, "stale");
      });

      it("returns false and changes nothing for a wrong lease token", async () => {
        const event = await insertEvent();
        const claimed = await claimOne(event.id, at(0));
        const before = await mustGetEvent(event.id);
        const watermark: Watermark = { ...keyOf(event), occurredAt: at(0), eventId: event.id, downloadedAt: at(1) };
        const results = await store.finishAttempts([
          finishInput(claimed, { leaseToken: `${claimed.leaseToken}-wrong`, resource: { data: 1, downloadedAt: at(1) }, watermark }),
        ]);
        assert.deepEqual(results, [false]);
        assert.deepEqual(await mustGetEvent(event.id), before);
        assert.deepEqual(await store.getWatermarks([keyOf(event)]), []);
        assert.equal(await finishOne(claimed), true);
      });

      it("returns false for a lease that expired and was reclaimed; the new holder finishes", async () => {
        const event = await insertEvent();
        const lost = await claimOne(event.id, at(0));
        const winner = await claimOne(event.id, at(LEASE_MS + 1));
        assert.equal(await finishOne(lost, { status: "failed", lastError: "late" }), false);
        const during = await mustGetEvent(event.id);
        assert.equal(during.status, "processing");
        assert.deepEqual(during.attempts, []);
        assert.equal(during.attemptsFinished, 0);
        assert.equal(await finishOne(winner), true);
        assert.equal((await mustGetEvent(event.id)).status, "succeeded");
      });

      it("finishes a batch, reporting each result in order", async () => {
        const events = await Promise.all([insertEvent(), insertEvent(), insertEvent()]);
        const { events: claimed } = await claim({ now: at(0) });
        assert.equal(claimed.length, 3);
        const byId = new Map(claimed.map((c) => [c.id, c]));
        const [a, b, c] = events.map((e) => byId.get(e.id)!);
        const results = await store.finishAttempts([
          finishInput(a!, { resource: { data: { n: "a" }, downloadedAt: at(1) } }),
          finishInput(b!, { leaseToken: "not-the-token" }),
          finishInput(c!, { status: "failed", lastError: "gone", attemptsMade: 3 }),
        ]);
        assert.deepEqual(results, [true, false, true]);
        assert.equal((await mustGetEvent(a!.id)).status, "succeeded");
        assert.deepEqual((await mustGetEvent(a!.id)).resourceData, { data: { n: "a" }, downloadedAt: at(1) });
        assert.equal((await mustGetEvent(b!.id)).status, "processing");
        const failed = await mustGetEvent(c!.id);
        assert.equal(failed.status, "failed");
        assert.equal(failed.lastError, "gone");
        assert.equal(failed.attemptsRemaining, 0);
        assert.deepEqual(await store.finishAttempts([]), []);
      });
    });

    describe("6. watermarks", () => {
      /** Claims and finishes `event` with `watermark`. */
      async function apply(event: NewEvent, watermark: Omit<Watermark, keyof EntityKey>): Promise<void> {
        const claimed = await claimOne(event.id, at(0));
        assert.equal(await finishOne(claimed, { watermark: { ...keyOf(event), ...watermark } }), true);
      }

      it("stores the first watermark and moves it only forward by (occurredAt, eventId)", async () => {
        const key = { entityId: "inv-wm" };
        const [e1, e2, e3, e4] = [await insertEvent(key), await insertEvent(key), await insertEvent(key), await insertEvent(key)];
        assert.deepEqual(await store.getWatermarks([keyOf(e1!)]), []);

        await apply(e2!, { occurredAt: at(10_000), eventId: e2!.id, downloadedAt: at(20_000) });
        assert.deepEqual(await store.getWatermarks([keyOf(e1!)]), [
          { ...keyOf(e1!), occurredAt: at(10_000), eventId: e2!.id, downloadedAt: at(20_000) },
        ]);

        // Older occurredAt: the watermark stays, but a later download time is kept.
        await apply(e1!, { occurredAt: at(5_000), eventId: e1!.id, downloadedAt: at(30_000) });
        assert.deepEqual(await store.getWatermarks([keyOf(e1!)]), [
          { ...keyOf(e1!), occurredAt: at(10_000), eventId: e2!.id, downloadedAt: at(30_000) },
        ]);

        // Equal occurredAt, smaller eventId: no change (and an earlier download never lowers it).
        await apply(e3!, { occurredAt: at(10_000), eventId: e1!.id, downloadedAt: at(1) });
        assert.deepEqual(await store.getWatermarks([keyOf(e1!)]), [
          { ...keyOf(e1!), occurredAt: at(10_000), eventId: e2!.id, downloadedAt: at(30_000) },
        ]);

        // Equal occurredAt, larger eventId: the tie-break moves it forward.
        await apply(e4!, { occurredAt: at(10_000), eventId: e4!.id, downloadedAt: at(25_000) });
        assert.deepEqual(await store.getWatermarks([keyOf(e1!)]), [
          { ...keyOf(e1!), occurredAt: at(10_000), eventId: e4!.id, downloadedAt: at(30_000) },
        ]);
      });

      it("keeps one watermark per entity key and returns several at once", async () => {
        const a = await insertEvent({ entityId: "shared-id", tenantId: "tenant-1" });
        const b = await insertEvent({ entityId: "shared-id", tenantId: "tenant-2" });
        const c = await insertEvent({ entityId: "shared-id", tenantId: "tenant-1", entityType: "Customer" });
        await apply(a, { occurredAt: at(1), eventId: a.id, downloadedAt: at(2) });
        await apply(b, { occurredAt: at(3), eventId: b.id, downloadedAt: at(4) });
        const missing: EntityKey = { ...keyOf(a), entityId: "nobody" };
        const found = await store.getWatermarks([keyOf(b), missing, keyOf(a), keyOf(c)]);
        const sorted = [...found].sort((x, y) => x.occurredAt.getTime() - y.occurredAt.getTime());
        assert.deepEqual(sorted, [
          { ...keyOf(a), occurredAt: at(1), eventId: a.id, downloadedAt: at(2) },
          { ...keyOf(b), occurredAt: at(3), eventId: b.id, downloadedAt: at(4) },
        ]);
        assert.deepEqual(await store.getWatermarks([]), []);
      });
    });

    describe("7. requeue", () => {
      it("makes events due now for a manual retry, skipping succeeded and live-leased ones", async () => {
        const failed = await eventWithStatus("failed");
        const stale = await eventWithStatus("stale");
        const succeeded = await eventWithStatus("succeeded");
        const leased = await eventWithStatus("processing");
        const waiting = await insertEvent({ nextAttemptAt: at(3_600_000) });
        const now = at(2_000);

        const requeued = await store.requeue({ now, ids: [failed.id, stale.id, succeeded.id, leased.id, waiting.id, createId()] });
        assert.deepEqual([...requeued].sort(), [failed.id, stale.id, waiting.id].sort());
        for (const id of requeued) {
          const details = await mustGetEvent(id);
          assert.equal(details.status, "queued");
          assert.equal(details.nextTrigger, "manual");
          assert.deepEqual(details.nextAttemptAt, now);
          assert.deepEqual(details.updatedAt, now);
        }
        assert.equal((await mustGetEvent(succeeded.id)).status, "succeeded");
        assert.equal((await mustGetEvent(leased.id)).status, "processing");

        const { events } = await claim({ now });
        assert.deepEqual([...events.map((e) => e.id)].sort(), [...requeued].sort());
        assert.ok(events.every((e) => e.nextTrigger === "manual"));
      });

      it("requeues an event whose lease expired, and its old token is then refused", async () => {
        const event = await insertEvent();
        const claimed = await claimOne(event.id, at(0));
        assert.deepEqual(await store.requeue({ now: at(LEASE_MS + 1), ids: [event.id] }), [event.id]);
        assert.deepEqual(await store.finishAttempts([finishInput(claimed)]), [false]);
        assert.equal((await mustGetEvent(event.id)).status, "queued");
      });

      it("requeues by filter", async () => {
        const invoice = await eventWithStatus("failed", { entityType: "Invoice" });
        const customer = await eventWithStatus("failed", { entityType: "Customer" });
        await insertEvent({ entityType: "Invoice", nextAttemptAt: at(3_600_000) });
        const requeued = await store.requeue({ now: at(2_000), filter: { entityType: "Invoice", status: "failed" } });
        assert.deepEqual(requeued, [invoice.id]);
        assert.equal((await mustGetEvent(customer.id)).status, "failed");
        assert.deepEqual(await store.requeue({ now: at(2_000), filter: { integration: "nobody" } }), []);
      });
    });

    describe("8. listEvents, listDeliveries, countEvents, nextDueAt", () => {
      /** A small log with known values for every filter. */
      async function seedLog() {
        const d1 = await insert({ integration: "qbo", tenantIds: ["realm-1"], receivedAt: at(0) }, [
          { entityType: "Invoice", entityId: "inv-100", tenantId: "realm-1" },
          { entityType: "Customer", entityId: "cus-200", tenantId: "realm-1" },
        ]);
        const d2 = await insert({ integration: "xero", tenantIds: ["org-A", "org-B"], receivedAt: at(60_000) }, [
          { entityType: "Invoice", entityId: "INV-300", tenantId: "org-A" },
          { entityType: "Contact", entityId: "con-400", tenantId: "org-B" },
        ]);
        const d3 = await insert({ integration: "qbo", tenantIds: ["realm-2"], receivedAt: at(120_000) }, [
          { entityType: "Invoice", entityId: "inv-500", tenantId: "realm-2" },
        ]);
        const rejected = makeDelivery({
          integration: "xero",
          tenantIds: [],
          dedupeKey: null,
          status: "rejected",
          reason: "signature missing or invalid",
          receivedAt: at(180_000),
        });
        await store.insertDelivery({ delivery: rejected, events: [] });
        const [i100, c200] = d1.events;
        const [i300, c400] = d2.events;
        const [i500] = d3.events;
        // Statuses: i100 succeeded, c200 failed, i300 processing, c400 and i500 queued.
        const claimed = await claim({ now: at(120_000), ids: [i100!.id, c200!.id, i300!.id] });
        const byId = new Map(claimed.events.map((c) => [c.id, c]));
        assert.deepEqual(
          await store.finishAttempts([
            finishInput(byId.get(i100!.id)!, { now: at(130_000) }),
            finishInput(byId.get(c200!.id)!, { status: "failed", lastError: "nope", attemptsMade: 3, now: at(130_000) }),
          ]),
          [true, true],
        );
        return { d1, d2, d3, rejected, i100: i100!, c200: c200!, i300: i300!, c400: c400!, i500: i500! };
      }

      it("filters events by integration, tenant, status, entity, delivery, time and search", async () => {
        const { d1, i100, c200, i300, c400, i500 } = await seedLog();
        const ids = async (filter: EventFilter) => (await store.listEvents(filter)).items.map((e) => e.id);
        const expect = (...events: NewEvent[]) => newestFirst(events.map((e) => e.id));

        assert.deepEqual(await ids({}), expect(i100, c200, i300, c400, i500));
        assert.deepEqual(await ids({ integration: "qbo" }), expect(i100, c200, i500));
        assert.deepEqual(await ids({ integration: ["qbo", "xero"] }), expect(i100, c200, i300, c400, i500));
        assert.deepEqual(await ids({ tenantId: "org-B" }), expect(c400));
        assert.deepEqual(await ids({ tenantId: ["realm-2", "org-A"] }), expect(i300, i500));
        assert.deepEqual(await ids({ status: "queued" }), expect(c400, i500));
        assert.deepEqual(await ids({ status: ["succeeded", "processing"] }), expect(i100, i300));
        assert.deepEqual(await ids({ status: [] }), []);
        assert.deepEqual(await ids({ entityType: "Invoice" }), expect(i100, i300, i500));
        assert.deepEqual(await ids({ entityId: "con-400" }), expect(c400));
        assert.deepEqual(await ids({ deliveryId: d1.delivery.id }), expect(i100, c200));
        assert.deepEqual(await ids({ receivedFrom: at(60_000) }), expect(i300, c400, i500));
        assert.deepEqual(await ids({ receivedTo: at(60_000) }), expect(i100, c200));
        assert.deepEqual(await ids({ receivedFrom: at(1), receivedTo: at(120_000) }), expect(i300, c400));
        assert.deepEqual(await ids({ integration: "qbo", entityType: "Invoice", status: "queued" }), expect(i500));
        // Search: a case-insensitive substring of the event id, delivery id, entity id or tenant id.
        assert.deepEqual(await ids({ search: "inv-" }), expect(i100, i300, i500));
        assert.deepEqual(await ids({ search: "ORG-" }), expect(i300, c400));
        assert.deepEqual(await ids({ search: i500.id.slice(-12) }), expect(i500));
        assert.deepEqual(await ids({ search: d1.delivery.id }), expect(i100, c200));
        // SQL wildcards are literal characters.
        assert.deepEqual(await ids({ search: "_" }), []);
        assert.deepEqual(await ids({ search: "%" }), []);
      });

      it("filters deliveries by integration, tenant, status, time and search, without raw bodies", async () => {
        const { d1, d2, d3, rejected } = await seedLog();
        const page = await store.listDeliveries({});
        assert.deepEqual(page.items.map((d) => d.id), newestFirst([d1, d2, d3].map((d) => d.delivery.id).concat(rejected.id)));
        assert.equal(page.nextCursor, null);
        for (const item of page.items) assert.equal("rawBody" in item, false, "listDeliveries must not return rawBody");
        const summary = page.items.find((d) => d.id === d2.delivery.id)!;
        assert.deepEqual(summary.tenantIds, ["org-A", "org-B"]);
        assert.equal(summary.eventCount, 2);
        assert.deepEqual(summary.receivedAt, at(60_000));
        assert.deepEqual(summary.headers, d2.delivery.headers);

        const ids = async (filter: Parameters<WebhookStore["listDeliveries"]>[0]) =>
          (await store.listDeliveries(filter)).items.map((d) => d.id);
        assert.deepEqual(await ids({ integration: "xero" }), newestFirst([d2.delivery.id, rejected.id]));
        assert.deepEqual(await ids({ tenantId: "org-B" }), [d2.delivery.id]);
        assert.deepEqual(await ids({ tenantId: ["realm-1", "realm-2"] }), newestFirst([d1.delivery.id, d3.delivery.id]));
        assert.deepEqual(await ids({ status: "rejected" }), [rejected.id]);
        assert.deepEqual(await ids({ status: ["accepted", "rejected"] }).then((list) => list.length), 4);
        assert.deepEqual(await ids({ receivedFrom: at(60_000), receivedTo: at(180_000) }), newestFirst([d2.delivery.id, d3.delivery.id]));
        assert.deepEqual(await ids({ search: "SIGNATURE" }), [rejected.id]);
        assert.deepEqual(await ids({ search: d3.delivery.id }), [d3.delivery.id]);
        assert.deepEqual(await ids({ search: "%" }), []);
      });

      it("pages events newest first with a stable cursor while new events arrive", async () => {
        const { events } = await insert({}, Array.from({ length: 7 }, () => ({})));
        const all = newestFirst(events.map((e) => e.id));
        const first = await store.listEvents({ limit: 3 });
        assert.deepEqual(first.items.map((e) => e.id), all.slice(0, 3));
        assert.ok(first.nextCursor);

        const { events: newer } = await insert({}, [{}, {}]);
        const second = await store.listEvents({ limit: 3, cursor: first.nextCursor });
        assert.deepEqual(second.items.map((e) => e.id), all.slice(3, 6));
        assert.ok(second.nextCursor);
        const third = await store.listEvents({ limit: 3, cursor: second.nextCursor });
        assert.deepEqual(third.items.map((e) => e.id), all.slice(6));
        assert.equal(third.nextCursor, null);

        // A page that is exactly full at the end says so.
        const everything = await store.listEvents({ limit: 9 });
        assert.deepEqual(everything.items.map((e) => e.id), newestFirst([...all, ...newer.map((e) => e.id)]));
        assert.equal(everything.nextCursor, null);
        // Paging composes with filters.
        const filtered = await store.listEvents({ deliveryId: events[0]!.deliveryId, limit: 4 });
        assert.deepEqual(filtered.items.map((e) => e.id), all.slice(0, 4));
        assert.ok(filtered.nextCursor);
        const rest = await store.listEvents({ deliveryId: events[0]!.deliveryId, limit: 4, cursor: filtered.nextCursor });
        assert.deepEqual(rest.items.map((e) => e.id), all.slice(4));
        assert.equal(rest.nextCursor, null);
      });

      it("pages deliveries newest first with a stable cursor", async () => {
        const ids: string[] = [];
        for (let i = 0; i < 5; i += 1) ids.push((await insert({}, [])).delivery.id);
        const all = newestFirst(ids);
        const first = await store.listDeliveries({ limit: 2 });
        assert.deepEqual(first.items.map((d) => d.id), all.slice(0, 2));
        await insert({}, []);
        const second = await store.listDeliveries({ limit: 2, cursor: first.nextCursor! });
        assert.deepEqual(second.items.map((d) => d.id), all.slice(2, 4));
        const third = await store.listDeliveries({ limit: 2, cursor: second.nextCursor! });
        assert.deepEqual(third.items.map((d) => d.id), all.slice(4));
        assert.equal(third.nextCursor, null);
      });

      it("counts events grouped by integration and status, only non-zero rows", async () => {
        await seedLog();
        const sort = (rows: readonly { integration: string; status: string; count: number }[]) =>
          [...rows].sort((a, b) => `${a.integration}/${a.status}`.localeCompare(`${b.integration}/${b.status}`));
        assert.deepEqual(sort(await store.countEvents({})), [
          { integration: "qbo", status: "failed", count: 1 },
          { integration: "qbo", status: "queued", count: 1 },
          { integration: "qbo", status: "succeeded", count: 1 },
          { integration: "xero", status: "processing", count: 1 },
          { integration: "xero", status: "queued", count: 1 },
        ]);
        assert.deepEqual(sort(await store.countEvents({ entityType: "Invoice" })), [
          { integration: "qbo", status: "queued", count: 1 },
          { integration: "qbo", status: "succeeded", count: 1 },
          { integration: "xero", status: "processing", count: 1 },
        ]);
        assert.deepEqual(await store.countEvents({ integration: "nobody" }), []);
      });

      it("reports the earliest due time, leases included, or null", async () => {
        assert.equal(await store.nextDueAt(), null);
        const a = await insertEvent({ nextAttemptAt: at(5_000) });
        const b = await insertEvent({ nextAttemptAt: at(3_000) });
        assert.deepEqual(await store.nextDueAt(), at(3_000));
        const claimedB = await claimOne(b.id, at(3_000), 60_000);
        assert.deepEqual(await store.nextDueAt(), at(5_000));
        const claimedA = await claimOne(a.id, at(5_000), 1_000);
        assert.deepEqual(await store.nextDueAt(), at(6_000));
        await store.finishAttempts([finishInput(claimedA), finishInput(claimedB, { status: "failed", attemptsMade: 3 })]);
        assert.equal(await store.nextDueAt(), null);
      });

      it("returns null for unknown ids", async () => {
        assert.equal(await store.getEvent(createId()), null);
        assert.equal(await store.getDelivery(createId()), null);
      });
    });

    describe("9. prune", () => {
      it("removes succeeded and stale events older than the cutoff, keeps failed and unfinished ones; removes old deliveries left without events but unparseable ones", async () => {
        const old = at(1_000);
        const cutoff = at(100_000);
        const gone = await insert({}, [{}, {}]);
        const mixed = await insert({}, [{}, {}]);
        const [succeeded, stale] = gone.events;
        const [mixedSucceeded, mixedQueued] = mixed.events;
        const failed = await eventWithStatus("failed", {}, old);
        const recent = await eventWithStatus("succeeded", {}, at(200_000));
        const oldQueued = await insertEvent({ nextAttemptAt: at(0) });
        const rejected = makeDelivery({ dedupeKey: null, status: "rejected", reason: "bad signature" });
        const recentRejected = makeDelivery({ dedupeKey: null, status: "rejected", reason: "bad signature", receivedAt: at(200_000) });
        const unparseable = makeDelivery({ status: "unparseable", reason: "not JSON" });
        for (const delivery of [rejected, recentRejected, unparseable]) await store.insertDelivery({ delivery, events: [] });

        const claimed = await claim({ now: at(0), ids: [succeeded!.id, stale!.id, mixedSucceeded!.id] });
        const byId = new Map(claimed.events.map((c) => [c.id, c]));
        const watermark: Watermark = { ...keyOf(succeeded!), occurredAt: at(0), eventId: succeeded!.id, downloadedAt: at(10) };
        await store.finishAttempts([
          finishInput(byId.get(succeeded!.id)!, { now: old, resource: { data: { kept: false }, downloadedAt: at(10) }, watermark }),
          finishInput(byId.get(stale!.id)!, { now: old, status: "stale", supersededBy: succeeded!.id }),
          finishInput(byId.get(mixedSucceeded!.id)!, { now: old }),
        ]);

        assert.equal(await store.prune({ olderThan: cutoff }), 3);
        for (const id of [succeeded!.id, stale!.id, mixedSucceeded!.id]) assert.equal(await store.getEvent(id), null);
        for (const id of [mixedQueued!.id, failed.id, recent.id, oldQueued.id]) assert.ok(await store.getEvent(id));
        assert.equal(await store.getDelivery(gone.delivery.id), null);
        assert.ok(await store.getDelivery(mixed.delivery.id));
        assert.ok(await store.getDelivery(failed.deliveryId));
        assert.equal(await store.getDelivery(rejected.id), null);
        assert.ok(await store.getDelivery(recentRejected.id));
        assert.ok(await store.getDelivery(unparseable.id));
        assert.deepEqual(await listAllEventIds(), newestFirst([mixedQueued!.id, failed.id, recent.id, oldQueued.id]));
        // Watermarks outlive the events: they still guard against old data.
        assert.deepEqual(await store.getWatermarks([keyOf(succeeded!)]), [watermark]);
        assert.equal(await store.prune({ olderThan: cutoff }), 0);
      });
    });

    describe("10. transaction", () => {
      it("commits finishAttempts made inside transaction(), rolls them back when fn throws [needs capabilities.transactionalHandler]", async (...context) => {
        if (!store.capabilities.transactionalHandler || !store.transaction) {
          assert.equal(store.capabilities.transactionalHandler, false, "transactionalHandler is set but transaction() is missing");
          skip(context, "store.capabilities.transactionalHandler is false");
          return;
        }
        const event = await insertEvent();
        const claimed = await claimOne(event.id, at(0));
        const boom = new Error("handler failed");
        await assert.rejects(
          store.transaction(async (tx) => {
            assert.deepEqual(await store.finishAttempts([finishInput(claimed)], tx), [true]);
            throw boom;
          }),
          (error) => error === boom,
        );
        const rolledBack = await mustGetEvent(event.id);
        assert.equal(rolledBack.status, "processing");
        assert.deepEqual(rolledBack.attempts, []);

        const value = await store.transaction(async (tx) => {
          assert.deepEqual(await store.finishAttempts([finishInput(claimed)], tx), [true]);
          return "done";
        });
        assert.equal(value, "done");
        assert.equal((await mustGetEvent(event.id)).status, "succeeded");
      });
    });

    describe("11. errors", () => {
      it("after close(), calls either still work or reject with a StoreError, never a raw driver error", async () => {
        const event = await insertEvent();
        await store.close();
        closed = true;
        const calls: [string, () => Promise<unknown>][] = [
          ["getEvent", () => store.getEvent(event.id)],
          ["listEvents", () => store.listEvents({})],
          ["insertDelivery", () => store.insertDelivery({ delivery: makeDelivery(), events: [] })],
          ["claimDue", () => claim({ now: at(0) })],
          ["countEvents", () => store.countEvents({})],
        ];
        for (const [method, call] of calls) {
          try {
            await call();
          } catch (error) {
            assert.ok(
              isWebhookInboxError(error) && error.code === "STORE_FAILED",
              `${method} after close() threw something other than a StoreError: ${String(error)}`,
            );
          }
        }
      });
    });
  });
}
