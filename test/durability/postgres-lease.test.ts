import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { type FinishAttemptInput, type InboxEvent, type WebhookStore, createWebhookInbox } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";
import { ManualClock, testProvider, testWebhook } from "webhook-inbox/testing";

const url = process.env.DATABASE_URL;
const SECRET = "lease-secret";
const LEASE_MS = 2_000;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The store, with every finishAttempts result recorded and, while `hold` is set, each finish held
 * until it resolves (a worker that stalls after its handler, its lease still live). A Proxy: the
 * public API, nothing else.
 */
function recordingFinishes(store: PostgresStore): { store: WebhookStore; results: boolean[][]; hold: Promise<void> | null } {
  const recorder = { store: store as WebhookStore, results: [] as boolean[][], hold: null as Promise<void> | null };
  recorder.store = new Proxy(store, {
    get(target, property) {
      if (property === "finishAttempts") {
        return async (inputs: readonly FinishAttemptInput[], transaction?: unknown) => {
          if (recorder.hold) await recorder.hold;
          const result = await target.finishAttempts(inputs, transaction);
          recorder.results.push(result);
          return result;
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return recorder;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

if (!url) {
  describe.skip("PostgresStore lease expiry (skipped: set DATABASE_URL to run)", () => {
    it("needs PostgreSQL", () => {});
  });
} else {
  describe("PostgresStore: leases are timed on the database's clock", () => {
    const schema = `wi_lease_${randomBytes(5).toString("hex")}`;
    // Two pools: two workers that share nothing but the database.
    const poolA = new pg.Pool({ connectionString: url, max: 4 });
    const poolB = new pg.Pool({ connectionString: url, max: 4 });
    afterAll(async () => {
      await poolA.query(`drop schema if exists "${schema}" cascade`);
      await Promise.all([poolA.end(), poolB.end()]);
    });

    for (const transactionalHandler of [false, true]) {
      it(`a worker whose clock is more than leaseMs fast does not take over a live lease; after the lease (real time) it does, and the first worker's late finish changes nothing${transactionalHandler ? " (handler in the store transaction)" : ""}`, async () => {
        // Worker B's clock runs 10 leases ahead of worker A's: by B's clock, A's lease ran out long ago.
        const clockA = new ManualClock(new Date());
        const clockB = new ManualClock(new Date(clockA.now().getTime() + 10 * LEASE_MS));
        const a = recordingFinishes(new PostgresStore({ pool: poolA, schema }));
        const b = recordingFinishes(new PostgresStore({ pool: poolB, schema }));
        let release!: () => void;
        a.hold = new Promise<void>((resolve) => (release = resolve)); // A stalls after its handler
        let entered!: () => void;
        const enteredA = new Promise<void>((resolve) => (entered = resolve));
        const handledBy: { worker: string; event: InboxEvent }[] = [];

        const common = {
          leaseMs: LEASE_MS,
          handlerTimeoutMs: LEASE_MS / 2,
          logger: silent,
          transactionalHandler,
          integrations: { acme: { provider: testProvider({ secret: SECRET }), mode: "delayed" as const, delayMs: 0 } },
        };
        const inboxA = createWebhookInbox({
          ...common,
          clock: clockA,
          store: a.store,
          workerId: "worker-a",
          handler: (event) => {
            handledBy.push({ worker: "a", event });
            entered();
          },
        });
        const inboxB = createWebhookInbox({
          ...common,
          clock: clockB,
          store: b.store,
          workerId: "worker-b",
          handler: (event) => {
            handledBy.push({ worker: "b", event });
          },
        });

        const entityId = `inv-${randomBytes(4).toString("hex")}`;
        const { body, headers } = testWebhook(SECRET, [
          { tenantId: "t1", entityType: "invoice", entityId, occurredAt: clockA.now().toISOString(), deleted: true },
        ]);
        const response = await inboxA.receive({ integration: "acme", rawBody: Buffer.from(body), headers });
        expect(response.status).toBe(202);
        const [stored] = (await b.store.listEvents({ entityId })).items;
        expect(stored?.status).toBe("queued");

        // Worker A claims, runs the handler and stalls before its finish.
        const claimedAt = Date.now();
        const passA = inboxA.runDue();
        await enteredA;
        expect((await b.store.getEvent(stored!.id))?.status).toBe("processing");

        // While the lease is live (database time), fast worker B gets nothing, however far ahead its clock is.
        await inboxB.runDue();
        clockB.advance(LEASE_MS);
        await inboxB.runDue();
        expect(Date.now() - claimedAt).toBeLessThan(LEASE_MS); // still within the lease in real time
        expect(handledBy.map((h) => h.worker)).toEqual(["a"]);
        // B's scheduler is told when the lease runs out on B's own clock (no busy loop on a lease "due" long ago).
        const due = (await b.store.nextDueAt({ now: clockB.now() }))!;
        expect(due.getTime()).toBeGreaterThan(clockB.now().getTime());
        expect(due.getTime()).toBeLessThanOrEqual(clockB.now().getTime() + LEASE_MS);

        // After the lease has run out in real time, B claims it and finishes it.
        await sleep(LEASE_MS - (Date.now() - claimedAt) + 100);
        await inboxB.runDue();
        expect(handledBy.map((h) => h.worker)).toEqual(["a", "b"]);
        expect(handledBy[1]!.event.attempt).toBe(2);
        expect(b.results).toEqual([[true]]);
        const done = await b.store.getEvent(stored!.id);
        expect(done?.status).toBe("succeeded");

        // A wakes up late: its finish is refused and changes nothing.
        release();
        await passA;
        expect(a.results).toEqual([[false]]);
        const after = await b.store.getEvent(stored!.id);
        expect(after).toEqual(done);
        expect(after?.attempts).toHaveLength(1);
        expect(after).toMatchObject({ status: "succeeded", attemptsStarted: 2, attemptsFinished: 1, attemptsMade: 1 });

        await Promise.all([inboxA.stop(), inboxB.stop()]);
        await Promise.all([a.store.close(), b.store.close()]);
      });
    }
  });
}
