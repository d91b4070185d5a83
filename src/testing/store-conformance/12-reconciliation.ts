/** Store conformance, section 12. reconciliation: watermarks per tenant and entity type, the one-reconciler lease, the run log. */
import assert from "node:assert/strict";
import type { ReconcileRun, ReconciliationStore } from "../../index.ts";
import { createId } from "../../store-kit/index.ts";
import { at } from "./fixtures.ts";
import type { ConformanceSuite } from "./suite.ts";

function run(seed: Partial<ReconcileRun> = {}): ReconcileRun {
  return {
    id: createId(),
    integration: "qbo",
    tenantId: "tenant-1",
    trigger: "manual",
    startedAt: at(1_000),
    endedAt: null,
    status: "running",
    resumeAt: null,
    windows: [],
    found: 0,
    alreadyApplied: 0,
    new: 0,
    calls: 0,
    deliveryIds: [],
    notes: [],
    error: null,
    ...seed,
  };
}

export function reconciliationSection(suite: ConformanceSuite): void {
  const { describe, it } = suite;
  const tenant = { integration: "qbo", tenantId: "tenant-1" };
  /** The store's reconciliation part; every shipped store has one (a test for a store without it ends here). */
  function part(): ReconciliationStore | null {
    return suite.store.reconciliation ?? null;
  }

  describe("12. reconciliation (optional: WebhookStore.reconciliation)", () => {
    it("keeps one watermark per (integration, tenant, entity type), moved only forward", async () => {
      const store = part();
      if (!store) return;
      assert.deepEqual(await store.getWatermarks(tenant), []);
      await store.advanceWatermarks([
        { ...tenant, entityType: "Invoice", changedThrough: at(10_000) },
        { ...tenant, entityType: "Customer", changedThrough: at(5_000) },
        { integration: "qbo", tenantId: "tenant-2", entityType: "Invoice", changedThrough: at(1) },
        { integration: "xero", tenantId: "tenant-1", entityType: "Invoice", changedThrough: at(2) },
      ]);
      // An older time never moves a watermark back; a newer one moves it forward.
      await store.advanceWatermarks([
        { ...tenant, entityType: "Invoice", changedThrough: at(9_000) },
        { ...tenant, entityType: "Customer", changedThrough: at(6_000) },
      ]);
      assert.deepEqual(await store.getWatermarks(tenant), [
        { ...tenant, entityType: "Customer", changedThrough: at(6_000) },
        { ...tenant, entityType: "Invoice", changedThrough: at(10_000) },
      ]);
      assert.deepEqual(await store.listTenants({ integration: "qbo" }), ["tenant-1", "tenant-2"]);
      assert.deepEqual(await store.listTenants({ integration: "none" }), []);
      await store.advanceWatermarks([]);
    });

    it("hands a tenant's lease to one holder until it expires or is released", async () => {
      const store = part();
      if (!store) return;
      const lease = (holder: string, now: number) => store.acquireLease({ ...tenant, holder, now: at(now), leaseMs: 10_000 });
      assert.equal(await lease("a", 0), true);
      assert.equal(await lease("b", 5_000), false, "held by a");
      assert.equal(await lease("a", 5_000), true, "the holder renews it");
      assert.equal(await lease("b", 14_999), false, "renewed until 15 000");
      assert.equal(
        await store.acquireLease({ integration: "qbo", tenantId: "tenant-2", holder: "b", now: at(5_000), leaseMs: 10_000 }),
        true,
        "leases are per tenant",
      );
      assert.equal(await lease("b", 15_000), true, "expired: taken over");
      await store.releaseLease({ ...tenant, holder: "a" });
      assert.equal(await lease("a", 16_000), false, "a release by a non-holder changes nothing");
      await store.releaseLease({ ...tenant, holder: "b" });
      assert.equal(await lease("a", 16_000), true, "released: free at once");
    });

    it("stores runs, replaces one by id, and lists them newest first by integration and tenant", async () => {
      const store = part();
      if (!store) return;
      const first = run();
      const second = run({ tenantId: "tenant-2" });
      const third = run();
      for (const item of [first, second, third]) await store.saveRun(item);
      const finished: ReconcileRun = {
        ...first,
        endedAt: at(2_000),
        status: "succeeded",
        windows: [{ entityType: "Invoice", from: at(0), to: at(1_000), path: "cdc", found: 3, calls: 2 }],
        found: 3,
        alreadyApplied: 1,
        new: 2,
        calls: 2,
        deliveryIds: [createId(), createId()],
        notes: ["split the window"],
      };
      await store.saveRun(finished);
      assert.deepEqual(await store.getRun(first.id), finished);
      const deferred: ReconcileRun = { ...second, status: "deferred", resumeAt: at(61_000), endedAt: at(1_500) };
      await store.saveRun(deferred);
      assert.deepEqual(await store.getRun(second.id), deferred);
      assert.equal(await store.getRun("missing"), null);
      assert.deepEqual(
        (await store.listRuns({})).map((item) => item.id),
        [third.id, second.id, first.id],
      );
      assert.deepEqual(
        (await store.listRuns(tenant)).map((item) => item.id),
        [third.id, first.id],
      );
      assert.deepEqual(
        (await store.listRuns({ ...tenant, limit: 1 })).map((item) => item.id),
        [third.id],
      );
      assert.deepEqual(await store.listRuns({ integration: "xero" }), []);
    });
  });
}
