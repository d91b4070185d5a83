import { afterEach, describe, expect, it } from "vitest";
import { type QuickBooksSetup, REALM, seeded, setupQuickBooks, versionOf } from "./setup.ts";

let setup: QuickBooksSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

describe("reconciliation finds the changes whose webhooks were dropped", () => {
  it("drops a random 10 % of webhooks while records change; one pass brings every record's newest version to the handler exactly once", async () => {
    setup = await setupQuickBooks();
    const { inbox, clock, qbo, handled, notify } = setup;
    const random = seeded(18);
    const types = { Invoice: 80, Customer: 20 };
    const deleted = new Set<string>();
    /** Per record, whether the webhook of its newest change was dropped. */
    const newestDropped = new Map<string, boolean>();
    let dropped = 0;
    let sent = 0;
    for (let step = 0; step < 400; step += 1) {
      clock.advance(1_000);
      const type = random() < 0.8 ? "Invoice" : "Customer";
      const id = String(1 + Math.floor(random() * types[type]));
      const key = `${type}/${id}`;
      if (deleted.has(key)) continue;
      const exists = qbo.records.get(REALM, type, id) !== undefined;
      let operation: "Update" | "Delete" = "Update";
      if (!exists) qbo.records.set(REALM, type, id, { Name: `${key} v0` });
      else if (type === "Invoice" && random() < 0.03) {
        qbo.records.delete(REALM, type, id);
        deleted.add(key);
        operation = "Delete";
      } else qbo.records.update(REALM, type, id, { Name: `${key} step ${step}` });
      const drop = random() < 0.1;
      newestDropped.set(key, drop);
      if (drop) dropped += 1;
      else {
        sent += 1;
        expect(await notify(type, id, operation)).toBe(200);
        await inbox.drain();
      }
    }
    expect(dropped).toBeGreaterThan(20);
    expect(sent).toBeGreaterThan(300);
    const beforeReconcile = handled.length;

    clock.advance(5_000);
    const [run] = await inbox.reconcile({ integration: "qbo" });
    await inbox.drain();

    // Every changed record's newest version reached the handler exactly once.
    const newest = new Map<string, string>();
    for (const key of newestDropped.keys()) {
      const [type, id] = key.split("/") as [string, string];
      const record = qbo.records.get(REALM, type, id) as { SyncToken: string } | undefined;
      newest.set(key, `${key}@${record === undefined ? "deleted" : record.SyncToken}`);
    }
    const counts = new Map<string, number>();
    for (const event of handled) counts.set(versionOf(event), (counts.get(versionOf(event)) ?? 0) + 1);
    for (const version of newest.values()) expect(counts.get(version), version).toBe(1);
    // Nothing was handled twice: no version of any record reached the handler more than once.
    expect([...counts].filter(([, count]) => count > 1)).toEqual([]);

    // The records whose newest webhook was dropped were handled from reconciliation, and marked so.
    const fromReconcile = handled.slice(beforeReconcile);
    const missed = [...newestDropped].filter(([, drop]) => drop).map(([key]) => key);
    expect(fromReconcile.map((event) => `${event.entityType}/${event.entityId}`).sort()).toEqual(missed.sort());
    for (const event of fromReconcile) {
      expect(event.trigger).toBe("reconcile");
      expect(event.payload).toMatchObject({ foundBy: "reconciliation", runId: run!.id });
      const details = await inbox.getEvent(event.id);
      expect(details?.attempts.map((attempt) => attempt.trigger)).toEqual(["reconcile"]);
    }

    // The run's log: what it found, what was applied already, what was new ("webhooks we missed").
    expect(run).toMatchObject({ integration: "qbo", tenantId: REALM, status: "succeeded", trigger: "manual", error: null });
    expect(run!.found).toBe(newestDropped.size);
    expect(run!.new).toBe(missed.length);
    expect(run!.alreadyApplied).toBe(newestDropped.size - missed.length);
    expect(run!.windows.map((window) => [window.entityType, window.path])).toEqual([
      ["Invoice", "cdc"],
      ["Customer", "cdc"],
    ]);
    expect(run!.calls).toBe(qbo.calls.count({ endpoint: "cdc" }));
    expect(await inbox.listReconcileRuns({ integration: "qbo" })).toEqual([run]);

    // Already-applied changes are stale, not handled; a second run finds them again and handles nothing.
    const stale = await inbox.listEvents({ status: "stale", limit: 500 });
    expect(stale.items.filter((event) => (event.payload as { foundBy?: string }).foundBy === "reconciliation").length).toBe(run!.alreadyApplied);
    clock.advance(60_000);
    const handledBefore = handled.length;
    const [again] = await inbox.reconcile({ integration: "qbo", tenantId: REALM });
    await inbox.drain();
    expect(again!.new).toBe(0);
    expect(handled.length).toBe(handledBefore);
  });
});
