import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { type FinishAttemptInput, type InboxEvent, type WebhookStore, createWebhookInbox } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";
import { ManualClock, testProvider, testWebhook } from "webhook-inbox/testing";

const url = process.env.DATABASE_URL;
const SECRET = "lease-secret";
const LEASE_MS = 10_000;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** The store, with every finishAttempts result recorded (a Proxy: the public API, nothing else). */
function recordingFinishes(store: PostgresStore): { store: WebhookStore; results: boolean[][] } {
  const results: boolean[][] = [];
  const proxy = new Proxy(store, {
    get(target, property) {
      if (property === "finishAttempts") {
        return async (inputs: readonly FinishAttemptInput[], transaction?: unknown) => {
          const result = await target.finishAttempts(inputs, transaction);
          results.push(result);
          return result;
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { store: proxy, results };
}

if (!url) {
  describe.skip("PostgresStore lease expiry (skipped: set DATABASE_URL to run)", () => {
    it("needs PostgreSQL", () => {});
  });
} else {
  describe("PostgresStore: a worker that stops mid-attempt loses its claim after the lease", () => {
    const schema = `wi_lease_${randomBytes(5).toString("hex")}`;
    // Two pools: two workers that share nothing but the database.
    const poolA = new pg.Pool({ connectionString: url, max: 4 });
    const poolB = new pg.Pool({ connectionString: url, max: 4 });
    afterAll(async () => {
      await poolA.query(`drop schema if exists "${schema}" cascade`);
      await Promise.all([poolA.end(), poolB.end()]);
    });

    for (const transactionalHandler of [false, true]) {
      it(`another worker finishes the event; the first worker's late finish changes nothing${transactionalHandler ? " (handler in the store transaction)" : ""}`, async () => {
        const clock = new ManualClock(new Date());
        const a = recordingFinishes(new PostgresStore({ pool: poolA, schema }));
        const b = recordingFinishes(new PostgresStore({ pool: poolB, schema }));
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let entered!: () => void;
        const enteredA = new Promise<void>((resolve) => (entered = resolve));
        const handledBy: { worker: string; event: InboxEvent }[] = [];

        const common = {
          clock,
          leaseMs: LEASE_MS,
          handlerTimeoutMs: LEASE_MS / 2,
          logger: silent,
          transactionalHandler,
          integrations: { acme: { provider: testProvider({ secret: SECRET }), mode: "delayed" as const, delayMs: 0 } },
        };
        const inboxA = createWebhookInbox({
          ...common,
          store: a.store,
          workerId: "worker-a",
          handler: async (event) => {
            handledBy.push({ worker: "a", event });
            entered();
            await gate; // stops mid-attempt until the test lets it go
          },
        });
        const inboxB = createWebhookInbox({
          ...common,
          store: b.store,
          workerId: "worker-b",
          handler: (event) => {
            handledBy.push({ worker: "b", event });
          },
        });

        const entityId = `inv-${randomBytes(4).toString("hex")}`;
        const { body, headers } = testWebhook(SECRET, [
          { tenantId: "t1", entityType: "invoice", entityId, occurredAt: clock.now().toISOString(), deleted: true },
        ]);
        const response = await inboxA.receive({ integration: "acme", rawBody: Buffer.from(body), headers });
        expect(response.status).toBe(202);
        const [stored] = (await b.store.listEvents({ entityId })).items;
        expect(stored?.status).toBe("queued");

        // Worker A claims and hangs inside the handler.
        const passA = inboxA.runDue();
        await enteredA;
        expect((await b.store.getEvent(stored!.id))?.status).toBe("processing");

        // While the lease is live, worker B gets nothing.
        clock.advance(LEASE_MS - 1);
        await inboxB.runDue();
        expect(handledBy.map((h) => h.worker)).toEqual(["a"]);

        // After the lease, B claims it and finishes it.
        clock.advance(2);
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
