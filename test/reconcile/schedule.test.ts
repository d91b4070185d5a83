import { describe, expect, it } from "vitest";
import { createWebhookInbox, MemoryStore, type InboxEvent, type ReconcileRun } from "webhook-inbox";
import { quickbooks } from "webhook-inbox/quickbooks";
import { ManualClock, startFakeQuickBooks } from "webhook-inbox/testing";

const REALM = "4620816365000000001";

describe("reconcile.every", () => {
  it("reconciles each tenant on its schedule from the scheduler's passes, and the options refuse a provider or store without the capability", async () => {
    const clock = new ManualClock("2030-01-01T00:00:00.000Z");
    const qbo = await startFakeQuickBooks({ now: () => clock.now().getTime() });
    const handled: InboxEvent[] = [];
    const finished: ReconcileRun[] = [];
    const inbox = createWebhookInbox({
      store: new MemoryStore(),
      clock,
      integrations: {
        qbo: {
          provider: quickbooks({ verifierToken: "v", getAccessToken: () => "t", baseUrl: qbo.url }),
          reconcile: { entityTypes: ["Invoice"], every: "1h", tenants: () => [REALM] },
        },
      },
      handler: (event) => {
        handled.push(event);
      },
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    inbox.on("reconcile:finished", ({ run }) => finished.push(run));
    try {
      qbo.records.seed(REALM, "Invoice", ["1", "2"]);
      clock.advance(1_000);
      await inbox.drain();
      expect(finished.map((run) => [run.trigger, run.status, run.new])).toEqual([["schedule", "succeeded", 2]]);
      expect(handled.map((event) => event.entityId).sort()).toEqual(["1", "2"]);

      qbo.records.update(REALM, "Invoice", "1", { TotalAmt: 5 });
      clock.advance(30 * 60_000);
      await inbox.drain();
      expect(finished).toHaveLength(1); // not due yet
      clock.advance(31 * 60_000);
      await inbox.drain();
      expect(finished.map((run) => run.new)).toEqual([2, 1]);
      expect(handled.at(-1)).toMatchObject({ entityId: "1", trigger: "reconcile", resource: { TotalAmt: 5 } });
    } finally {
      await inbox.stop();
      await qbo.close();
    }

    const base = { store: new MemoryStore(), handler: () => {} };
    const { listChanges: _dropped, ...withoutChanges } = quickbooks({ verifierToken: "v", getAccessToken: () => "t" });
    expect(() => createWebhookInbox({ ...base, integrations: { t: { provider: withoutChanges, reconcile: { entityTypes: ["Invoice"] } } } })).toThrow(
      /has no listChanges/,
    );
    const storeWithout = Object.assign(Object.create(MemoryStore.prototype), new MemoryStore(), { reconciliation: undefined });
    expect(() =>
      createWebhookInbox({
        store: storeWithout,
        handler: () => {},
        integrations: { q: { provider: quickbooks({ verifierToken: "v", getAccessToken: () => "t" }), reconcile: { entityTypes: ["Invoice"] } } },
      }),
    ).toThrow(/reconcile needs a store with `reconciliation`/);
    expect(() =>
      createWebhookInbox({
        ...base,
        integrations: {
          q: { provider: quickbooks({ verifierToken: "v", getAccessToken: () => "t" }), reconcile: { entityTypes: ["Invoice"], every: "soon" } },
        },
      }),
    ).toThrow(/reconcile\.every/);
  });
});
