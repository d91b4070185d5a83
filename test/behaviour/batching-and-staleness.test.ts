import { describe, expect, it } from "vitest";
import { change, setupInbox } from "../helpers/inbox.ts";

describe("batched resource fetching", () => {
  it("downloads K distinct entities of a delayed backlog in ceil(K / maxBatchSize) calls per tenant and type", async () => {
    const { inbox, api, send, clock, handled } = setupInbox({ mode: "delayed", maxBatchSize: 10 });
    const plan = [
      { tenantId: "t1", entityType: "invoice", count: 25 },
      { tenantId: "t1", entityType: "customer", count: 7 },
      { tenantId: "t2", entityType: "invoice", count: 11 },
    ];
    for (const { tenantId, entityType, count } of plan) {
      for (let i = 0; i < count; i += 1) {
        api.set(tenantId, entityType, String(i), { Id: String(i) });
        // Each entity changes twice, in two webhooks.
        await send([change(String(i), "2030-01-01T00:00:00Z", { tenantId, entityType })]);
        await send([change(String(i), "2030-01-01T00:00:01Z", { tenantId, entityType })]);
      }
    }
    clock.advance(1_000);
    await inbox.drain();

    const minimum = plan.reduce((sum, { count }) => sum + Math.ceil(count / 10), 0);
    expect(api.calls.length).toBe(minimum); // 3 + 1 + 2
    expect(api.calls.every((call) => call.ids.length <= 10 && new Set(call.ids).size === call.ids.length)).toBe(true);
    expect(handled).toHaveLength(25 + 7 + 11);
    const counts = await inbox.countEvents();
    expect(counts.sort((a, b) => a.status.localeCompare(b.status))).toEqual([
      { integration: "acme", status: "stale", count: 43 },
      { integration: "acme", status: "succeeded", count: 43 },
    ]);
  });

  it("coalesces a burst of immediate webhooks into shared batches", async () => {
    const { inbox, api, send, handled } = setupInbox({ maxBatchSize: 10 });
    for (let i = 0; i < 20; i += 1) api.set("t1", "invoice", String(i), { Id: String(i) });
    await inbox.start();
    const done = new Promise<void>((resolve) => {
      let processed = 0;
      inbox.on("event:processed", () => ++processed === 20 && resolve());
    });
    await Promise.all(Array.from({ length: 20 }, (_, i) => send([change(String(i), "2030-01-01T00:00:00Z")])));
    await done;
    await inbox.stop();
    expect(handled).toHaveLength(20);
    expect(api.calls.length).toBe(2);
  });

  it("fetches the failed events of a batch together again on retry", async () => {
    const { inbox, api, send, clock } = setupInbox({ mode: "delayed" });
    for (const id of ["1", "2", "3"]) api.set("t1", "invoice", id, { Id: id });
    await send(["1", "2", "3"].map((id) => change(id, "2030-01-01T00:00:00Z")));
    api.failNextCall();
    clock.advance(1_000);
    await inbox.drain();
    expect((await inbox.listEvents({ status: "retrying" })).items).toHaveLength(3);
    clock.advance(10_000);
    await inbox.drain();
    expect(api.calls.map((call) => call.ids.length)).toEqual([3, 3]);
    expect((await inbox.listEvents({ status: "succeeded" })).items).toHaveLength(3);
  });

  it("isolates one entity's failure from its neighbours in the same call", async () => {
    const { inbox, api, send } = setupInbox();
    for (const id of ["1", "2"]) api.set("t1", "invoice", id, { Id: id });
    api.fail("t1", "invoice", "2");
    await send(["1", "2"].map((id) => change(id, "2030-01-01T00:00:00Z")));
    await inbox.drain();
    const statuses = Object.fromEntries((await inbox.listEvents()).items.map((event) => [event.entityId, event.status]));
    expect(statuses).toEqual({ "1": "succeeded", "2": "retrying" });
  });
});

describe("the staleness guard", () => {
  it("handles two updates of one entity in one batch once, with the newest, and marks the other stale", async () => {
    const { inbox, api, send, clock, handled } = setupInbox({ mode: "delayed" });
    api.set("t1", "invoice", "1", { Id: "1", v: 2 });
    await send([change("1", "2030-01-01T00:00:02Z")]);
    await send([change("1", "2030-01-01T00:00:01Z")]);
    clock.advance(1_000);
    await inbox.drain();

    expect(handled).toHaveLength(1);
    expect(handled[0]?.occurredAt.toISOString()).toBe("2030-01-01T00:00:02.000Z");
    const staleEvent = (await inbox.listEvents({ status: "stale" })).items[0]!;
    expect(staleEvent.occurredAt.toISOString()).toBe("2030-01-01T00:00:01.000Z");
    expect(staleEvent.supersededBy).toBe(handled[0]!.id);
    const details = await inbox.getEvent(staleEvent.id);
    expect(details?.attempts[0]).toMatchObject({ outcome: "stale", error: expect.stringMatching(/superseded by newer event/) });
    expect(api.calls).toHaveLength(1);
  });

  it("marks an older event stale when a newer one was already applied", async () => {
    const { inbox, api, send, handled } = setupInbox();
    api.set("t1", "invoice", "1", { Id: "1" });
    const stale: string[] = [];
    inbox.on("event:stale", ({ supersededBy }) => stale.push(supersededBy));
    await send([change("1", "2030-01-01T00:00:05Z")]);
    await inbox.drain();
    await send([change("1", "2030-01-01T00:00:03Z")]); // arrives late
    await inbox.drain();

    expect(handled).toHaveLength(1);
    expect(stale).toEqual([handled[0]!.id]);
    const late = (await inbox.listEvents({ status: "stale" })).items[0]!;
    expect((await inbox.getEvent(late.id))?.attempts[0]?.error).toMatch(/older than event/);
  });

  it("breaks equal timestamps deterministically: the later arrival wins", async () => {
    const { inbox, api, send, handled } = setupInbox();
    api.set("t1", "invoice", "1", { Id: "1" });
    await send([change("1", "2030-01-01T00:00:05Z", { operation: "create" })]);
    await send([change("1", "2030-01-01T00:00:05Z", { operation: "update" })]);
    await inbox.drain();
    expect(handled.map((event) => event.operation)).toEqual(["update"]);
    expect((await inbox.listEvents({ status: "stale" })).items.map((event) => event.operation)).toEqual(["create"]);
  });

  it("still handles a newer event after an older one was applied", async () => {
    const { inbox, api, send, handled } = setupInbox();
    api.set("t1", "invoice", "1", { Id: "1" });
    await send([change("1", "2030-01-01T00:00:01Z")]);
    await inbox.drain();
    await send([change("1", "2030-01-01T00:00:02Z")]);
    await inbox.drain();
    expect(handled).toHaveLength(2);
  });

  it("gives the handler resource null for deleted entities (no fetch) and for entities the provider no longer has", async () => {
    const { inbox, api, send, handled } = setupInbox();
    await send([change("1", "2030-01-01T00:00:01Z", { operation: "delete", deleted: true }), change("2", "2030-01-01T00:00:01Z")]);
    await inbox.drain();
    expect(handled.map((event) => [event.entityId, event.operation, event.resource])).toEqual(
      expect.arrayContaining([
        ["1", "delete", null],
        ["2", "update", null],
      ]),
    );
    // "2" was absent from the batch answer: read once more on its own before the handler is told it is gone.
    expect(api.calls.map((call) => call.ids)).toEqual([["2"], ["2"]]);
    const [confirmed] = (await inbox.listEvents({ entityId: "2" })).items;
    const details = await inbox.getEvent(confirmed!.id);
    expect(details?.attempts.map((attempt) => [attempt.outcome, attempt.error])).toEqual([
      ["succeeded", "not in the batch answer; a single-record read confirmed it is missing"],
    ]);
  });
});
