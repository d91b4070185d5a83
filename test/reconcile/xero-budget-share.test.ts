import { afterEach, describe, expect, it } from "vitest";
import { createWebhookInbox, MemoryStore, type InboxEvent, type ReconcileRun } from "webhook-inbox";
import { ManualClock, startFakeXero, xeroPayload, type FakeXero } from "webhook-inbox/testing";
import { xero } from "webhook-inbox/xero";

const KEY = "xero-webhook-key";
const TENANT = "e629a03c-7ffe-4913-bd94-ff2fdb36a702";
const guid = (index: number) => `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`;

let fake: FakeXero | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe("Xero reconciliation within the published limits", () => {
  it("lists 2,000 changed contacts in its budget share while live webhooks keep flowing: 0 × 429, live events processed at once", async () => {
    const clock = new ManualClock("2030-01-01T00:00:00.000Z");
    fake = await startFakeXero({ now: () => clock.now().getTime() }); // Xero's limits: 60/min, 5,000/day, 5 at once
    const handled: InboxEvent[] = [];
    const handledAt = new Map<string, number>();
    const inbox = createWebhookInbox({
      store: new MemoryStore(),
      clock,
      integrations: {
        xero: {
          provider: xero({ webhookKey: KEY, getAccessToken: () => "token", baseUrl: fake.url }),
          mode: "immediate",
          reconcile: { entityTypes: ["CONTACT"], budgetShare: 0.25 },
        },
      },
      handler: (event) => {
        handled.push(event);
        handledAt.set(event.id, clock.now().getTime());
      },
      claimBatchSize: 5_000,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    // Changes made while no webhook reached the inbox.
    for (let index = 1; index <= 2_000; index += 1) fake.records.set(TENANT, "CONTACT", guid(index), { Name: `missed ${index}` });
    clock.advance(1_000);

    const runs: ReconcileRun[] = [];
    let resumeAt = 0;
    const liveLatency: number[] = [];
    for (let second = 0; second < 600 && runs.at(-1)?.status !== "succeeded"; second += 1) {
      clock.advance(1_000);
      if (second % 2 === 0) {
        // A live change and its webhook, every 2 seconds (30 calls a minute of Xero's 60).
        const id = guid(10_000 + second);
        fake.records.set(TENANT, "CONTACT", id, { Name: `live ${second}` });
        const signed = xeroPayload(KEY, [{ tenantId: TENANT, category: "CONTACT", resourceId: id, eventDateUtc: clock.now().toISOString().replace("Z", "") }]);
        const sentAt = clock.now().getTime();
        expect((await inbox.receive({ integration: "xero", rawBody: new TextEncoder().encode(signed.body), headers: signed.headers })).status).toBe(200);
        await inbox.drain();
        const event = handled.find((candidate) => candidate.entityId === id && candidate.trigger !== "reconcile");
        liveLatency.push(event ? handledAt.get(event.id)! - sentAt : Number.POSITIVE_INFINITY);
      }
      if (clock.now().getTime() >= resumeAt) {
        const [run] = await inbox.reconcile({ integration: "xero", tenantId: TENANT });
        runs.push(run!);
        resumeAt = run!.resumeAt?.getTime() ?? Number.POSITIVE_INFINITY;
        await inbox.drain();
      }
    }
    expect(runs.at(-1)?.status).toBe("succeeded");
    expect(runs.slice(0, -1).every((run) => run.status === "deferred")).toBe(true);
    expect(fake.calls.throttled).toBe(0);
    // Every live webhook was processed in the same second it arrived: reconciliation never took its budget.
    expect(Math.max(...liveLatency)).toBe(0);
    const missed = new Set(handled.filter((event) => event.trigger === "reconcile").map((event) => event.entityId));
    for (let index = 1; index <= 2_000; index += 1) expect(missed.has(guid(index)), guid(index)).toBe(true);
    // Reconciliation stayed within a quarter of every minute: at most 15 of its calls in any 60 s.
    const reconcileCalls = runs.reduce((sum, run) => sum + run.calls, 0);
    expect(reconcileCalls).toBeGreaterThanOrEqual(20);
    const minutes = (clock.now().getTime() - Date.parse("2030-01-01T00:00:01.000Z")) / 60_000;
    expect(reconcileCalls / Math.ceil(minutes)).toBeLessThanOrEqual(15);
    await inbox.stop();
  });
});
