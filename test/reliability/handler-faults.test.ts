/**
 * Handler faults: a handler that throws (Error or anything else), one that hangs past
 * handlerTimeoutMs (the attempt ends, counts, and the handler's signal is aborted), in the deferred
 * modes and in `direct` mode; and the inbox stopping under a hanging handler.
 */
import { describe, expect, it } from "vitest";
import { type EventHandler, type HandlerContext, type InboxEvent, MemoryStore, type Mode, createWebhookInbox } from "webhook-inbox";
import { ManualClock, TestApi, testProvider, testWebhook } from "webhook-inbox/testing";
import { recordLifecycle, silentLogger } from "./support.ts";

const SECRET = "handler-faults-secret";

function setup(handler: EventHandler, options: { mode?: Mode; handlerTimeoutMs?: number; maxAttempts?: number; realClock?: boolean } = {}) {
  const clock = new ManualClock(new Date());
  const api = new TestApi();
  api.set("t1", "invoice", "e1", { total: 1 });
  const store = new MemoryStore();
  const inbox = createWebhookInbox({
    store,
    ...(options.realClock ? {} : { clock }),
    integrations: { acme: { provider: testProvider({ secret: SECRET, api }), mode: options.mode ?? "immediate" } },
    handler,
    retryDelay: () => 1_000,
    maxAttempts: options.maxAttempts ?? 3,
    handlerTimeoutMs: options.handlerTimeoutMs ?? 200,
    pollIntervalMs: 20,
    logger: silentLogger,
  });
  const lifecycle = recordLifecycle(inbox);
  const send = (id = "d1") => {
    const { body, headers } = testWebhook(SECRET, [{ tenantId: "t1", entityType: "invoice", entityId: "e1", occurredAt: clock.now().toISOString() }], id);
    return inbox.receive({ integration: "acme", rawBody: Buffer.from(body), headers });
  };
  const only = async () => {
    const page = await inbox.listEvents({});
    expect(page.items).toHaveLength(1);
    return (await inbox.getEvent(page.items[0]!.id))!;
  };
  return { inbox, clock, store, lifecycle, send, only };
}

describe("handler faults", () => {
  it.each([
    ["an Error", () => new Error("db constraint violated"), /db constraint violated/],
    ["a string", () => "plain string failure", /plain string failure/],
    ["an object", () => ({ code: 42 }), /42/],
    ["undefined", () => undefined, /.+/],
  ])("a handler throwing %s fails the attempt, is retried, and exhausts after maxAttempts", async (_label, make, pattern) => {
    let calls = 0;
    const { inbox, clock, send, only, lifecycle } = setup(() => {
      calls += 1;
      throw make();
    });
    expect((await send()).status).toBe(202);
    await inbox.drain();
    let event = await only();
    expect(event.status).toBe("retrying");
    expect(event.attempts[0]!.outcome).toBe("failed");
    expect(event.attempts[0]!.error).toMatch(pattern);
    for (let i = 0; i < 2; i += 1) {
      clock.advance(1_000);
      await inbox.drain();
    }
    event = await only();
    expect(event.status).toBe("failed");
    expect(event.attemptsMade).toBe(3);
    expect(event.attempts).toHaveLength(3);
    expect(calls).toBe(3);
    expect(lifecycle.count("event:exhausted")).toBe(1);
    expect(lifecycle.count("event:failed")).toBe(3);
  });

  it("a handler that fails once then succeeds ends succeeded with both attempts recorded", async () => {
    let calls = 0;
    const { inbox, clock, send, only } = setup(async () => {
      calls += 1;
      if (calls === 1) throw new Error("transient");
    });
    await send();
    await inbox.drain();
    clock.advance(1_000);
    await inbox.drain();
    const event = await only();
    expect(event.status).toBe("succeeded");
    expect(event.attempts.map((attempt) => attempt.outcome)).toEqual(["failed", "succeeded"]);
  });

  it("a hanging handler is ended by handlerTimeoutMs: the attempt counts, its signal is aborted, the retry runs", async () => {
    const signals: AbortSignal[] = [];
    let calls = 0;
    const { inbox, clock, send, only } = setup(async (_event: InboxEvent, context: HandlerContext) => {
      calls += 1;
      signals.push(context.signal);
      if (calls === 1) await new Promise(() => {}); // never settles
    });
    await send();
    const started = Date.now();
    await inbox.drain();
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(2_000);
    let event = await only();
    expect(event.status).toBe("retrying");
    expect(event.attemptsMade).toBe(1);
    expect(event.attempts[0]!.error).toMatch(/timed out after 200 ms/);
    expect(signals[0]!.aborted).toBe(true);
    clock.advance(1_000);
    await inbox.drain();
    event = await only();
    expect(event.status).toBe("succeeded");
    expect(event.attempts).toHaveLength(2);
  });

  it("direct mode: a throwing handler answers 500, logs the delivery as failed and frees the dedupe key for the resend", async () => {
    let calls = 0;
    const { inbox, send } = setup(
      () => {
        calls += 1;
        if (calls === 1) throw new Error("direct failure");
      },
      { mode: "direct" },
    );
    const first = await send("same-delivery");
    expect(first.status).toBe(500);
    expect(first.body).not.toMatch(/direct failure/); // the reason is logged, not told to the caller
    const resend = await send("same-delivery");
    expect(resend.status).toBe(200);
    expect(calls).toBe(2);
    const deliveries = await inbox.listDeliveries({});
    expect(deliveries.items.map((delivery) => delivery.status).sort()).toEqual(["failed", "processed"]);
  });

  it("direct mode: a hanging handler is ended by handlerTimeoutMs and answered 500", async () => {
    const { inbox, send } = setup(() => new Promise(() => {}), { mode: "direct" });
    const started = Date.now();
    const answer = await send();
    expect(answer.status).toBe(500);
    expect(Date.now() - started).toBeLessThan(2_000);
    const [delivery] = (await inbox.listDeliveries({})).items;
    expect(delivery!.status).toBe("failed");
    expect(delivery!.reason).toMatch(/timed out/);
  });

  it("a throwing lifecycle listener never breaks processing", async () => {
    const { inbox, send, only } = setup(() => {});
    inbox.on("event:processed", () => {
      throw new Error("listener bug");
    });
    inbox.on("delivery:received", () => {
      throw new Error("listener bug");
    });
    expect((await send()).status).toBe(202);
    await inbox.drain();
    expect((await only()).status).toBe("succeeded");
  });

  it("stop() under a hanging handler aborts the handler's signal and returns without waiting out handlerTimeoutMs", async () => {
    let seen: AbortSignal | undefined;
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    const { inbox, send, store } = setup(
      (_event, context) =>
        new Promise<void>((_resolve, reject) => {
          seen = context.signal;
          entered();
          context.signal.addEventListener("abort", () => reject(new Error("aborted by stop")));
        }),
      { handlerTimeoutMs: 4_000, realClock: true },
    );
    await inbox.start();
    await send();
    await inHandler;
    const started = Date.now();
    await inbox.stop();
    const elapsed = Date.now() - started;
    // HandlerContext.signal: "Aborted when the attempt times out or the inbox stops".
    expect(seen!.aborted).toBe(true);
    expect(elapsed).toBeLessThan(2_000);
    // Nothing lost: the event is still there to be processed later.
    const [event] = (await store.listEvents({})).items;
    expect(event!.status).not.toBe("succeeded");
  });

  it.each(["constructor", "toString", "__proto__", "hasOwnProperty"])(
    "an entity type named %s never resolves to an inherited Object member instead of a handler",
    async (entityType) => {
      const invoices: string[] = [];
      const inbox = createWebhookInbox({
        store: new MemoryStore(),
        integrations: { acme: { provider: testProvider({ secret: SECRET }) } },
        handlers: { acme: { invoice: (event) => void invoices.push(event.entityId) } },
        maxAttempts: 1,
        logger: silentLogger,
      });
      const { body, headers } = testWebhook(SECRET, [{ tenantId: "t1", entityType, entityId: "x", occurredAt: new Date().toISOString() }]);
      expect((await inbox.receive({ integration: "acme", rawBody: Buffer.from(body), headers })).status).toBe(202);
      await inbox.drain();
      const [event] = (await inbox.listEvents({})).items;
      // No handler is registered for this type: the event must fail visibly, not "succeed" through Object.prototype.
      expect(event!.status).toBe("failed");
      expect(event!.lastError).toMatch(/no handler/);
    },
  );
});
