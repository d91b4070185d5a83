import { afterEach, describe, expect, it } from "vitest";
import { QUICKBOOKS_CDC_MAX_OBJECTS } from "webhook-inbox/quickbooks";
import { type QuickBooksSetup, REALM, setupQuickBooks } from "./setup.ts";

const DAY = 86_400_000;
let setup: QuickBooksSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

describe("QuickBooks reconciliation windows", () => {
  it("reconciles more than 1,000 changes of one type completely by splitting the CDC window, each answer within the fake's cap", async () => {
    setup = await setupQuickBooks({ entityTypes: ["Invoice"] });
    const { inbox, clock, qbo, handled } = setup;
    for (let index = 1; index <= 2_300; index += 1) {
      clock.advance(10);
      qbo.records.set(REALM, "Invoice", String(index), { TotalAmt: index });
    }
    clock.advance(1_000);
    const [run] = await inbox.reconcile({ integration: "qbo", tenantId: REALM });
    await inbox.drain();
    expect(run).toMatchObject({ status: "succeeded", found: 2_300, new: 2_300, alreadyApplied: 0 });
    expect(new Set(handled.map((event) => event.entityId)).size).toBe(2_300);
    expect(handled.length).toBe(2_300);
    const cdc = qbo.calls.log.filter((call) => call.endpoint === "cdc");
    expect(cdc.length).toBe(3);
    expect(run!.windows).toEqual([expect.objectContaining({ entityType: "Invoice", path: "cdc", found: 2_300, calls: 3 })]);
    expect(run!.notes.filter((note) => note.includes(`held ${QUICKBOOKS_CDC_MAX_OBJECTS} objects (the cap): window split at`))).toHaveLength(2);
    // The CDC records are the downloaded resources: no batch download was made.
    expect(qbo.calls.count({ endpoint: "batch" })).toBe(0);
  });

  it("reconciles a tenant whose watermark is older than 30 days by query, and the run says so", async () => {
    setup = await setupQuickBooks({ entityTypes: ["Invoice"] });
    const { inbox, clock, qbo, handled } = setup;
    const [first] = await inbox.reconcile({ integration: "qbo", tenantId: REALM });
    expect(first).toMatchObject({ status: "succeeded", found: 0 });
    clock.advance(31 * DAY);
    for (let index = 1; index <= 1_500; index += 1) {
      clock.advance(5);
      qbo.records.set(REALM, "Invoice", String(index), { TotalAmt: index });
    }
    clock.advance(1_000);
    const [run] = await inbox.reconcile({ integration: "qbo", tenantId: REALM });
    await inbox.drain();
    expect(run).toMatchObject({ status: "succeeded", found: 1_500, new: 1_500 });
    expect(run!.windows[0]).toMatchObject({ path: "query", calls: 2 });
    expect(run!.notes.some((note) => /older than ChangeDataCapture's 30 days: reconciled by query/.test(note))).toBe(true);
    expect(qbo.calls.count({ endpoint: "cdc" })).toBe(1); // the first run only
    expect(new Set(handled.map((event) => event.entityId)).size).toBe(1_500);
    // The watermark moved: the next run is back on CDC.
    clock.advance(60_000);
    const [next] = await inbox.reconcile({ integration: "qbo", tenantId: REALM });
    expect(next!.windows[0]).toMatchObject({ path: "cdc" });
  });

  it("records CDC deletions as deletes: the handler gets resource null", async () => {
    setup = await setupQuickBooks({ entityTypes: ["Invoice"] });
    const { inbox, clock, qbo, handled } = setup;
    qbo.records.set(REALM, "Invoice", "41", { TotalAmt: 1 });
    clock.advance(1_000);
    qbo.records.delete(REALM, "Invoice", "41");
    clock.advance(1_000);
    await inbox.reconcile({ integration: "qbo", tenantId: REALM });
    await inbox.drain();
    expect(handled).toEqual([expect.objectContaining({ entityId: "41", operation: "Delete", resource: null, trigger: "reconcile" })]);
  });
});
