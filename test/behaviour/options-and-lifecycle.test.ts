import { describe, expect, it } from "vitest";
import { MemoryStore, type RunReport, TimerScheduler, WebhookConfigError, createWebhookInbox } from "webhook-inbox";
import { testProvider } from "webhook-inbox/testing";
import { change, setupInbox } from "../helpers/inbox.ts";

const provider = testProvider({ secret: "s" });
const valid = { store: new MemoryStore(), integrations: { acme: { provider } }, handler: async () => {} };

describe("options", () => {
  it.each([
    [{ ...valid, maxAttempts: 0 }, "maxAttempts"],
    [{ ...valid, maxAttemps: 3 }, "maxAttemps"],
    [{ ...valid, store: {} }, "store must implement WebhookStore"],
    [{ ...valid, integrations: { acme: { provider, mode: "later" } } }, "integrations.acme.mode"],
    [{ ...valid, integrations: { acme: { provider: {} } } }, "provider must be a ProviderAdapter"],
    [{ store: new MemoryStore(), integrations: { acme: { provider } } }, 'integration "acme" has no handler'],
    [{ ...valid, handlers: { other: async () => {} } }, 'handlers names "other"'],
    [{ ...valid, leaseMs: 50_000, handlerTimeoutMs: 30_000 }, "leaseMs (50000) must be at least twice handlerTimeoutMs (30000)"],
    [{ ...valid, leaseMs: 20_000 }, "leaseMs (20000) must be at least twice handlerTimeoutMs (30000)"],
    [{ ...valid, transactionalHandler: true }, "transactionalHandler: true needs a store with a transaction() method"],
  ])("fails at construction naming the bad option (%#)", (options, expected) => {
    let error: unknown;
    try {
      createWebhookInbox(options as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(WebhookConfigError);
    expect((error as WebhookConfigError).code).toBe("CONFIG_INVALID");
    expect((error as Error).message).toContain(expected);
  });

  it("accepts leaseMs of exactly twice handlerTimeoutMs", () => {
    expect(() => createWebhookInbox({ ...valid, leaseMs: 60_000, handlerTimeoutMs: 30_000 })).not.toThrow();
  });

  it("defaults to immediate mode and 3 attempts", async () => {
    const inbox = createWebhookInbox(valid);
    expect(inbox.getMode("acme")).toBe("immediate");
    expect(inbox.serviceEnabled).toBe(true);
  });

  it("routes events to handlers per integration and entity type, then the catch-all", async () => {
    const seen: string[] = [];
    const { inbox, api, send } = setupInbox({
      inbox: {
        handler: async (event) => void seen.push(`catch-all:${event.entityType}`),
        handlers: { acme: { invoice: async (event) => void seen.push(`invoice:${event.entityId}`) } },
      },
    });
    api.set("t1", "invoice", "1", {}).set("t1", "customer", "2", {});
    await send([change("1", "2030-01-01T00:00:00Z"), change("2", "2030-01-01T00:00:00Z", { entityType: "customer" })]);
    await inbox.drain();
    expect(seen.sort()).toEqual(["catch-all:customer", "invoice:1"]);
  });
});

describe("lifecycle events", () => {
  it("announces received, processed, failed, retry-scheduled and exhausted; a throwing listener breaks nothing", async () => {
    const { inbox, api, send, clock } = setupInbox({ inbox: { maxAttempts: 2 } });
    api.set("t1", "invoice", "1", {}).set("t1", "invoice", "2", {}).fail("t1", "invoice", "2", Infinity);
    const names: string[] = [];
    for (const name of ["delivery:received", "event:processed", "event:failed", "event:retry-scheduled", "event:exhausted"] as const) {
      inbox.on(name, () => void names.push(name));
    }
    inbox.on("event:processed", () => {
      throw new Error("listener bug");
    });
    await send([change("1", "2030-01-01T00:00:00Z"), change("2", "2030-01-01T00:00:00Z")]);
    await inbox.drain();
    clock.advance(60_000);
    await inbox.drain();
    expect(names.sort()).toEqual(["delivery:received", "event:exhausted", "event:failed", "event:failed", "event:processed", "event:retry-scheduled"]);
    expect((await inbox.listEvents({ status: "succeeded" })).items).toHaveLength(1);
  });
});

describe("TimerScheduler", () => {
  it("runs one pass at a time, again at once while passes are full, and never after stop()", async () => {
    const scheduler = new TimerScheduler({ pollIntervalMs: 10_000 });
    let passes = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const full = 3;
    const ran = new Promise<void>((resolve) => {
      scheduler.start(async (): Promise<RunReport> => {
        concurrent += 1;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        passes += 1;
        await new Promise((r) => setImmediate(r));
        concurrent -= 1;
        if (passes === full + 1) resolve();
        return { more: passes <= full, nextDueAt: null };
      });
    });
    scheduler.wake();
    scheduler.wake();
    await ran;
    await scheduler.stop();
    const after = passes;
    scheduler.wake();
    await new Promise((r) => setTimeout(r, 20));
    expect([after, passes, maxConcurrent]).toEqual([full + 1, full + 1, 1]);
  });

  it("wakes at the reported due time rather than the poll interval", async () => {
    const scheduler = new TimerScheduler({ pollIntervalMs: 60_000 });
    const starts: number[] = [];
    const twice = new Promise<void>((resolve) => {
      scheduler.start(async () => {
        starts.push(Date.now());
        if (starts.length === 2) resolve();
        return { more: false, nextDueAt: new Date(Date.now() + 30) };
      });
    });
    await twice;
    await scheduler.stop();
    expect(starts[1]! - starts[0]!).toBeLessThan(5_000);
  });
});

describe("retention", () => {
  it("prunes succeeded and stale events older than maxAgeMs, keeping failed ones", async () => {
    const { inbox, api, send, clock } = setupInbox({ inbox: { retention: { maxAgeMs: 60_000, intervalMs: 1 }, maxAttempts: 1 } });
    api.set("t1", "invoice", "1", {}).fail("t1", "invoice", "2", Infinity);
    await send([change("1", "2030-01-01T00:00:00Z"), change("1", "2030-01-01T00:00:01Z"), change("2", "2030-01-01T00:00:00Z")]);
    await inbox.drain();
    expect((await inbox.listEvents()).items).toHaveLength(3);
    clock.advance(60_001);
    await inbox.drain();
    const left = (await inbox.listEvents()).items;
    expect(left.map((event) => [event.entityId, event.status])).toEqual([["2", "failed"]]);
  });
});

describe("a host logger that throws", () => {
  it("never breaks receive(): a refusal is still answered and logged as a delivery", async () => {
    const throwing = {
      debug() {},
      info() {},
      warn: () => {
        throw new Error("log sink down");
      },
      error: () => {
        throw new Error("log sink down");
      },
    };
    const { inbox } = setupInbox({ inbox: { logger: throwing } });
    const response = await inbox.receive({ integration: "acme", rawBody: Buffer.from("{}"), headers: { "content-type": "application/json" } });
    expect(response.status).toBe(401);
    expect((await inbox.listDeliveries({ status: "rejected" })).items).toHaveLength(1);
  });
});
