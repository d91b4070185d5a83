/**
 * runDue({ budgetMs }): passes until nothing is due or the budget is spent, with what it did; and an
 * inbox with no resident worker leaves no handle open after receive() and runDue().
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { WebhookInboxError } from "webhook-inbox";
import { change, setupInbox } from "../helpers/inbox.ts";

describe("runDue({ budgetMs })", () => {
  // Passes of one provider batch (2 entities): a pass always claims whole batches.
  it("runs passes back to back until nothing is due, and says how many events it processed", async () => {
    const { inbox, api, send, handled } = setupInbox({ maxBatchSize: 2, inbox: { claimBatchSize: 2 } });
    for (const id of ["1", "2", "3", "4", "5"]) api.set("t1", "invoice", id, { Id: id });
    await send(["1", "2", "3", "4", "5"].map((id) => change(id, "2030-01-01T00:00:00Z")));

    const result = await inbox.runDue({ budgetMs: 60_000 });

    expect(result).toMatchObject({ processed: 5, passes: 3, stillDue: false, more: false, nextDueAt: null });
    expect(handled.map((event) => event.entityId).sort()).toEqual(["1", "2", "3", "4", "5"]);
  });

  it("starts no new pass once the budget is spent and reports the work still due", async () => {
    const { inbox, api, send, handled } = setupInbox({ maxBatchSize: 2, inbox: { claimBatchSize: 2 } });
    for (const id of ["1", "2", "3"]) api.set("t1", "invoice", id, { Id: id });
    await send(["1", "2", "3"].map((id) => change(id, "2030-01-01T00:00:00Z")));

    const first = await inbox.runDue({ budgetMs: 0 });
    expect(first).toMatchObject({ processed: 2, passes: 1, stillDue: true, more: true });
    expect(handled).toHaveLength(2);

    const second = await inbox.runDue({ budgetMs: 0 });
    expect(second).toMatchObject({ processed: 1, passes: 1, stillDue: false });
    expect(handled).toHaveLength(3);
  });

  it("returns the next due time of work not due yet (delayed mode) without waiting for it", async () => {
    const { inbox, api, send, clock, handled } = setupInbox({ mode: "delayed" });
    api.set("t1", "invoice", "1", { Id: "1" });
    await send([change("1", "2030-01-01T00:00:00Z")]);

    const early = await inbox.runDue({ budgetMs: 60_000 });
    expect(early).toMatchObject({ processed: 0, stillDue: false });
    expect(early.nextDueAt?.getTime()).toBe(clock.now().getTime() + 1_000);
    expect(handled).toHaveLength(0);

    clock.advance(1_000);
    expect(await inbox.runDue({ budgetMs: 60_000 })).toMatchObject({ processed: 1, stillDue: false, nextDueAt: null });
    expect(handled).toHaveLength(1);
  });

  it("refuses a budget that is not a number of milliseconds", async () => {
    const { inbox } = setupInbox();
    for (const budgetMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(inbox.runDue({ budgetMs })).rejects.toSatisfy((error) => error instanceof WebhookInboxError && error.code === "CONFIG_INVALID");
    }
  });
});

const url = process.env.DATABASE_URL;
describe.skipIf(!url)("no resident worker (PostgresStore)", () => {
  const schema = `serverless_${process.pid}`;
  afterAll(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  });

  it("acknowledges and stores on receive, processes on runDue, and leaves no handle open: the process ends by itself", () => {
    const script = fileURLToPath(new URL("./fixtures/cron-invocation.ts", import.meta.url));
    const child = spawnSync(process.execPath, ["--import", "tsx", script], {
      env: { ...process.env, DATABASE_URL: url!, SCHEMA: schema },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(child.error).toBeUndefined();
    expect(child.signal).toBeNull();
    expect(child.status, child.stderr).toBe(0);
    const report = JSON.parse(child.stdout.trim().split("\n").at(-1)!);
    expect(report).toMatchObject({
      status: 202,
      statusAfterReceive: ["queued"],
      result: { processed: 1, stillDue: false, nextDueAt: null },
      handled: ["1"],
      open: [],
    });
  });
});
