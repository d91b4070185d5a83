import { describe, expect, it } from "vitest";
import { change, setupInbox } from "../helpers/inbox.ts";

async function eventIdOf(inbox: ReturnType<typeof setupInbox>["inbox"], entityId: string): Promise<string> {
  const { items } = await inbox.listEvents({ entityId });
  return items[0]!.id;
}

describe("automatic retries", () => {
  it("makes 3 attempts in all, spaced by the backoff, then marks the event failed", async () => {
    const { inbox, api, send, clock } = setupInbox();
    api.set("t1", "invoice", "1", { Id: "1" }).fail("t1", "invoice", "1", Infinity);
    const exhausted: string[] = [];
    inbox.on("event:exhausted", ({ event }) => exhausted.push(event.id));
    await send([change("1", "2030-01-01T00:00:00Z")]);
    const id = await eventIdOf(inbox, "1");

    await inbox.drain();
    let event = await inbox.getEvent(id);
    expect([event?.status, event?.attemptsMade, event?.attemptsRemaining]).toEqual(["retrying", 1, 2]);
    expect(event?.nextAttemptAt.getTime()).toBe(clock.now().getTime() + 10_000);
    expect(event?.lastError).toBe("test API: invoice 1 failed");

    clock.advance(9_999);
    await inbox.drain();
    expect((await inbox.getEvent(id))?.attemptsMade).toBe(1); // not due yet

    clock.advance(1);
    await inbox.drain();
    event = await inbox.getEvent(id);
    expect([event?.status, event?.attemptsRemaining]).toEqual(["retrying", 1]);

    clock.advance(20_000);
    await inbox.drain();
    event = await inbox.getEvent(id);
    expect([event?.status, event?.attemptsMade, event?.attemptsRemaining]).toEqual(["failed", 3, 0]);
    expect(event?.attempts.map((attempt) => [attempt.number, attempt.trigger, attempt.outcome])).toEqual([
      [1, "receive", "failed"],
      [2, "scheduler", "failed"],
      [3, "scheduler", "failed"],
    ]);
    expect(exhausted).toEqual([id]);

    clock.advance(10 * 60_000);
    await inbox.drain();
    expect((await inbox.getEvent(id))?.attempts).toHaveLength(3);
  });

  it("succeeds on a retry when the failure was passing", async () => {
    const { inbox, api, send, clock, handled } = setupInbox();
    api.set("t1", "invoice", "1", { Id: "1" }).fail("t1", "invoice", "1", 1);
    await send([change("1", "2030-01-01T00:00:00Z")]);
    await inbox.drain();
    clock.advance(10_000);
    await inbox.drain();
    const event = await inbox.getEvent(await eventIdOf(inbox, "1"));
    expect([event?.status, event?.attemptsMade, handled.length]).toEqual(["succeeded", 2, 1]);
  });

  it("ends a hanging handler with the per-attempt timeout and counts the attempt", async () => {
    const { inbox, api, send } = setupInbox({
      handler: (_event, { signal }) => new Promise((resolve) => signal.addEventListener("abort", () => resolve())),
      inbox: { handlerTimeoutMs: 20 },
    });
    api.set("t1", "invoice", "1", { Id: "1" });
    await send([change("1", "2030-01-01T00:00:00Z")]);
    await inbox.drain();
    const event = await inbox.getEvent(await eventIdOf(inbox, "1"));
    expect([event?.status, event?.attemptsMade, event?.lastError]).toEqual(["retrying", 1, "handler timed out after 20 ms"]);
  });
});

describe("rate limits (429)", () => {
  it("records a rate_limited attempt, pauses the tenant until Retry-After, and spends no attempt", async () => {
    // One call at a time, so the second batch sees the pause the first one's 429 caused.
    const limits = { tenant: { concurrency: 1, windows: [] }, defaultRetryAfterMs: 60_000 };
    const { inbox, api, send, clock, handled } = setupInbox({ maxBatchSize: 1, limits });
    api.set("t1", "invoice", "1", { Id: "1" }).set("t1", "invoice", "2", { Id: "2" });
    api.throttle("t1", { retryAfterMs: 30_000, limit: "minute" });
    const limited: number[] = [];
    inbox.on("event:rate-limited", ({ retryAfterMs }) => limited.push(retryAfterMs));
    await send([change("1", "2030-01-01T00:00:00Z"), change("2", "2030-01-01T00:00:00Z")]);

    await inbox.drain();
    const event = await inbox.getEvent(await eventIdOf(inbox, "1"));
    expect([event?.status, event?.attemptsMade, event?.attemptsRemaining]).toEqual(["queued", 0, 3]);
    expect(event?.attempts.map((attempt) => attempt.outcome)).toEqual(["rate_limited"]);
    expect(event?.nextAttemptAt.getTime()).toBe(clock.now().getTime() + 30_000);
    // One call was made and throttled; the tenant's other batch waited without calling.
    expect(api.callCount({ tenantId: "t1" })).toBe(1);
    expect(limited).toEqual([30_000, 30_000]);

    clock.advance(29_999);
    await inbox.drain();
    expect(api.callCount({ tenantId: "t1" })).toBe(1);

    clock.advance(1);
    await inbox.drain();
    const done = await inbox.getEvent(await eventIdOf(inbox, "1"));
    expect([done?.status, done?.attemptsMade, handled.length]).toEqual(["succeeded", 1, 2]);
    expect(done?.attempts.map((attempt) => attempt.outcome)).toEqual(["rate_limited", "succeeded"]);
  });

  it("counts a throttle as a failed attempt once the event waited past maxRateLimitWaitMs", async () => {
    const { inbox, api, send, clock } = setupInbox({ inbox: { maxRateLimitWaitMs: 60_000 } });
    api.set("t1", "invoice", "1", { Id: "1" }).throttle("t1", { calls: 10, retryAfterMs: 50_000 });
    await send([change("1", "2030-01-01T00:00:00Z")]);
    await inbox.drain();
    clock.advance(50_000);
    await inbox.drain();
    clock.advance(50_000);
    await inbox.drain();
    const event = await inbox.getEvent(await eventIdOf(inbox, "1"));
    expect(event?.attempts.map((attempt) => attempt.outcome)).toEqual(["rate_limited", "rate_limited", "failed"]);
    expect([event?.status, event?.attemptsMade]).toEqual(["retrying", 1]);
    expect(event?.lastError).toMatch(/still rate limited/);
  });
});

describe("manual retry", () => {
  it("retries one failed event as a manual attempt that spends no automatic attempt", async () => {
    const { inbox, api, send, clock } = setupInbox();
    api.set("t1", "invoice", "1", { Id: "1" }).fail("t1", "invoice", "1", 3);
    await send([change("1", "2030-01-01T00:00:00Z")]);
    for (let i = 0; i < 3; i += 1) {
      await inbox.drain();
      clock.advance(60_000);
    }
    const id = await eventIdOf(inbox, "1");
    expect((await inbox.getEvent(id))?.status).toBe("failed");

    const retried = await inbox.retry(id);
    expect([retried.status, retried.attemptsMade]).toEqual(["succeeded", 3]);
    expect(retried.attempts.at(-1)).toMatchObject({ trigger: "manual", outcome: "succeeded" });
    await expect(inbox.retry(id)).rejects.toMatchObject({ code: "EVENT_NOT_RETRYABLE" });
    await expect(inbox.retry("missing")).rejects.toMatchObject({ code: "EVENT_NOT_FOUND" });
  });

  it("leaves an exhausted event failed when its manual retry fails too", async () => {
    const { inbox, api, send, clock } = setupInbox({ inbox: { maxAttempts: 1 } });
    api.set("t1", "invoice", "1", { Id: "1" }).fail("t1", "invoice", "1", 2);
    await send([change("1", "2030-01-01T00:00:00Z")]);
    await inbox.drain();
    clock.advance(1);
    const id = await eventIdOf(inbox, "1");
    const retried = await inbox.retry(id);
    expect([retried.status, retried.attemptsMade, retried.attemptsRemaining]).toEqual(["failed", 1, 0]);
    expect(retried.attempts.map((attempt) => attempt.trigger)).toEqual(["receive", "manual"]);
  });

  it("retries many, by ids or by filter, skipping succeeded events, in batched fetches", async () => {
    const { inbox, api, send, handled } = setupInbox({ inbox: { maxAttempts: 1 } });
    for (const id of ["1", "2", "3", "4"]) api.set("t1", "invoice", id, { Id: id });
    api.fail("t1", "invoice", "1").fail("t1", "invoice", "2").fail("t1", "invoice", "3");
    await send(["1", "2", "3", "4"].map((id) => change(id, "2030-01-01T00:00:00Z")));
    await inbox.drain();
    const ids = await Promise.all(["1", "2", "4"].map((entityId) => eventIdOf(inbox, entityId)));
    const callsBefore = api.calls.length;

    const byIds = await inbox.retryMany(ids);
    expect(byIds.requeued.sort()).toEqual(ids.slice(0, 2).sort()); // "4" succeeded already
    const byFilter = await inbox.retryMany({ status: "failed", entityId: "3" });
    expect(byFilter.requeued).toHaveLength(1);
    await inbox.drain();

    expect(api.calls.length - callsBefore).toBe(1); // 3 entities, one fetch
    const { items } = await inbox.listEvents();
    expect(items.every((event) => event.status === "succeeded")).toBe(true);
    expect(handled.filter((event) => event.trigger === "manual")).toHaveLength(3);
  });
});

describe("long passes and the lease", () => {
  it("hands back events still waiting for a handler slot once half the lease has passed, spending nothing", async () => {
    const { inbox, api, send, clock, handled } = setupInbox({
      mode: "delayed",
      inbox: { handlerConcurrency: 1, leaseMs: 10_000, handlerTimeoutMs: 5_000 },
      // A slow first handler: the pass is past half its lease when the next event's turn comes.
      handler: async () => void (handled.length === 1 && clock.advance(6_000)),
    });
    for (const id of ["1", "2", "3"]) api.set("t1", "invoice", id, { Id: id });
    await send(["1", "2", "3"].map((id) => change(id, "2030-01-01T00:00:00Z")));
    clock.advance(1_000);
    await inbox.runDue();
    expect(handled).toHaveLength(1);
    const waiting = (await inbox.listEvents({ status: "queued" })).items;
    expect(waiting).toHaveLength(2);
    expect(waiting.every((event) => event.attemptsMade === 0)).toBe(true);
    await inbox.drain();
    expect(handled.map((event) => event.entityId).sort()).toEqual(["1", "2", "3"]);
  });
});
