import { describe, expect, it } from "vitest";
import type { Mode } from "webhook-inbox";
import { change, setupInbox } from "../helpers/inbox.ts";

/** One webhook naming an entity twice at the same instant, as QuickBooks can when two edits land in one second. */
async function handledOperation(mode: Mode, operations: readonly string[]): Promise<string[]> {
  const { inbox, api, send, clock, handled } = setupInbox({ mode });
  api.set("t1", "invoice", "1", { Id: "1" });
  const answer = await send(operations.map((operation) => change("1", "2030-01-01T00:00:00Z", { operation })));
  expect(answer.status).toBeLessThan(300);
  clock.advance(1_000);
  await inbox.drain();
  return handled.map((event) => event.operation);
}

describe("the newest of an entity's changes", () => {
  it.each<Mode>(["direct", "immediate", "delayed"])("ties in time go to the later change of the delivery, in %s mode", async (mode) => {
    expect(await handledOperation(mode, ["create", "update"])).toEqual(["update"]);
    expect(await handledOperation(mode, ["update", "create"])).toEqual(["create"]);
    expect(await handledOperation(mode, ["create", "update", "merge"])).toEqual(["merge"]);
  });

  it("in a pass the tied older change is stale, superseded by the one handled", async () => {
    const { inbox, api, send, clock, handled } = setupInbox({ mode: "delayed" });
    api.set("t1", "invoice", "1", { Id: "1" });
    await send([change("1", "2030-01-01T00:00:00Z", { operation: "create" }), change("1", "2030-01-01T00:00:00Z", { operation: "update" })]);
    clock.advance(1_000);
    await inbox.drain();
    const [stale] = (await inbox.listEvents({ status: "stale" })).items;
    expect(stale?.operation).toBe("create");
    expect(stale?.supersededBy).toBe(handled[0]!.id);
  });
});

describe("a deletion tied with an edit", () => {
  it.each<Mode>(["direct", "immediate"])("downloads the record, and hands over what the provider has, in %s mode", async (mode) => {
    const { inbox, api, send, clock, handled } = setupInbox({ mode });
    api.set("t1", "invoice", "1", { Id: "1", Balance: 5 });
    await send([change("1", "2030-01-01T00:00:00Z", { operation: "update" }), change("1", "2030-01-01T00:00:00Z", { operation: "delete", deleted: true })]);
    clock.advance(1_000);
    await inbox.drain();
    expect(api.calls.map((call) => call.ids)).toEqual([["1"]]);
    expect(handled.map((event) => [event.operation, event.resource])).toEqual([["delete", { Id: "1", Balance: 5 }]]);
  });
});
