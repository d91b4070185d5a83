/**
 * A change dated in the future (a provider's or a sender's clock ahead) must not freeze its entity:
 * beyond `futureOccurredAtToleranceMs` its time is clamped to the receive time and flagged, so a later
 * real change is newer and handled, not downloaded and dropped as stale.
 */
import { describe, expect, it } from "vitest";
import { WebhookConfigError, type Mode } from "webhook-inbox";
import { change, setupInbox } from "../helpers/inbox.ts";

const MINUTE = 60_000;
const at = (ms: number) => new Date(Date.parse("2030-01-01T00:00:00.000Z") + ms).toISOString();

describe("a change dated beyond the future tolerance", () => {
  it.each<Mode>(["direct", "immediate", "delayed"])("is clamped to its receive time and flagged; a later real change is handled, in %s mode", async (mode) => {
    const { inbox, api, send, clock, handled } = setupInbox({ mode });
    api.set("t1", "invoice", "1", { Id: "1", Balance: 1 });
    const ahead = await send([change("1", at(120 * MINUTE))], "evt-ahead");
    expect(ahead.status).toBeLessThan(300);
    clock.advance(1_000);
    await inbox.drain();
    expect(handled).toHaveLength(1);
    expect(handled[0]!.occurredAt.toISOString()).toBe(at(0));
    expect(handled[0]!.payload).toMatchObject({ occurredAtClamped: { sent: at(120 * MINUTE), toleranceMs: 5 * MINUTE } });

    // The delivery log says so.
    const logged = (await inbox.listDeliveries()).items.find((delivery) => delivery.reason?.includes("clamped"));
    expect(logged?.reason).toMatch(/1 change dated more than 300000 ms after its receive time clamped/);

    clock.advance(MINUTE);
    api.set("t1", "invoice", "1", { Id: "1", Balance: 2 });
    const later = await send([change("1", clock.now().toISOString())], "evt-later");
    expect(later.status).toBeLessThan(300);
    clock.advance(1_000);
    await inbox.drain();
    expect(handled.map((event) => event.resource)).toEqual([
      { Id: "1", Balance: 1 },
      { Id: "1", Balance: 2 },
    ]);
    expect((await inbox.listEvents({ status: "stale" })).items).toEqual([]);
  });

  it("is left alone within the tolerance, which is configurable", async () => {
    const { inbox, api, send, clock, handled } = setupInbox({ mode: "immediate", inbox: { futureOccurredAtToleranceMs: 10 * MINUTE } });
    api.set("t1", "invoice", "1", { Id: "1" });
    api.set("t1", "invoice", "2", { Id: "2" });
    await send([change("1", at(8 * MINUTE))], "evt-close");
    await send([change("2", at(11 * MINUTE))], "evt-far");
    clock.advance(1_000);
    await inbox.drain();
    const byId = new Map(handled.map((event) => [event.entityId, event]));
    expect(byId.get("1")?.occurredAt.toISOString()).toBe(at(8 * MINUTE));
    expect(byId.get("1")?.payload).not.toHaveProperty("occurredAtClamped");
    expect(byId.get("2")?.occurredAt.toISOString()).toBe(at(0));
  });

  it("rejects a negative tolerance", () => {
    expect(() => setupInbox({ inbox: { futureOccurredAtToleranceMs: -1 } })).toThrow(WebhookConfigError);
  });
});
