import { afterEach, describe, expect, it } from "vitest";
import { createAdminHandler } from "webhook-inbox";
import { type QuickBooksSetup, REALM, setupQuickBooks } from "./setup.ts";

let setup: QuickBooksSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

describe("admin API: reconciliation", () => {
  it("starts a run for a tenant, lists runs with the webhooks-we-missed count, and finds the events a run created", async () => {
    setup = await setupQuickBooks({ entityTypes: ["Invoice"] });
    const { inbox, clock, qbo } = setup;
    const handler = createAdminHandler(inbox, { authorize: () => true, basePath: "/admin" });
    const post = (body: unknown) =>
      handler(
        new Request("http://localhost/admin/api/reconcile/runs", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
      );
    qbo.records.seed(REALM, "Invoice", ["1", "2", "3"]);
    clock.advance(1_000);

    const started = await post({ integration: "qbo", tenantId: REALM });
    expect(started.status).toBe(200);
    const { items } = (await started.json()) as { items: { id: string; new: number; deliveryIds: string[]; status: string }[] };
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ status: "succeeded", new: 3 });

    const listed = await handler(new Request(`http://localhost/admin/api/reconcile/runs?tenantId=${REALM}`));
    expect(await listed.json()).toMatchObject({ items: [{ id: items[0]!.id }], missed: 3 });

    const events = await handler(new Request(`http://localhost/admin/api/events?deliveryId=${items[0]!.deliveryIds[0]}`));
    const page = (await events.json()) as { items: { id: string; entityId: string }[] };
    expect(page.items.map((event) => event.entityId).sort()).toEqual(["1", "2", "3"]);
    const one = await handler(new Request(`http://localhost/admin/api/events/${page.items[0]!.id}`));
    expect(await one.json()).toMatchObject({ payload: { foundBy: "reconciliation", runId: items[0]!.id } });

    expect((await post({ integration: "nope" })).status).toBe(404);
    const readOnly = createAdminHandler(inbox, { authorize: () => ({ readOnly: true }), basePath: "/admin" });
    const refused = await readOnly(
      new Request("http://localhost/admin/api/reconcile/runs", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ integration: "qbo" }),
      }),
    );
    expect(refused.status).toBe(403);
  });
});
