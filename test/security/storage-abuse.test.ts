/**
 * Storage abuse by someone who knows only the webhook URL: every refused request is logged as a
 * delivery, so what a refusal costs in the store must be bounded, and the log must not grow forever.
 */
import { describe, expect, it } from "vitest";
import { MemoryStore, createWebhookInbox } from "webhook-inbox";
import { ManualClock, testProvider, testWebhook } from "webhook-inbox/testing";
import { silentLogger } from "../reliability/support.ts";

const SECRET = "storage-abuse-secret";
const MAX_BODY = 1_048_576;

function setup() {
  const clock = new ManualClock();
  const store = new MemoryStore();
  const inbox = createWebhookInbox({
    store,
    clock,
    integrations: { acme: { provider: testProvider({ secret: SECRET }) } },
    handler: () => {},
    maxBodyBytes: MAX_BODY,
    logger: silentLogger,
  });
  return { inbox, clock, store };
}

describe("storage abuse without any secret", () => {
  it("a refused request (bad signature, unknown integration, wrong method or type) keeps a bounded part of its body", async () => {
    const { inbox } = setup();
    const body = new Uint8Array(MAX_BODY).fill(0x41);
    const refusals = [
      { integration: "acme", rawBody: body, headers: { "content-type": "application/json", "x-test-signature": "AAAA" } },
      { integration: "no-such-integration", rawBody: body, headers: { "content-type": "application/json" } },
      { integration: "acme", rawBody: body, headers: { "content-type": "application/json" }, method: "PUT" },
      { integration: "acme", rawBody: body, headers: { "content-type": "text/plain" } },
    ];
    for (const request of refusals) expect((await inbox.receive(request)).status).toBeGreaterThanOrEqual(400);
    const deliveries = await inbox.listDeliveries({ limit: 10 });
    expect(deliveries.items).toHaveLength(refusals.length);
    let stored = 0;
    for (const summary of deliveries.items) stored += (await inbox.getDelivery(summary.id))!.rawBody.byteLength;
    // 4 MiB sent by an anonymous caller must not become 4 MiB written: a prefix for diagnosis is plenty.
    expect(stored).toBeLessThanOrEqual(refusals.length * 16 * 1024);
  });

  it("prune() removes refused and duplicate deliveries past the age, not only those emptied of events", async () => {
    const { inbox, clock } = setup();
    const webhook = testWebhook(SECRET, [{ tenantId: "t1", entityType: "invoice", entityId: "1", occurredAt: clock.now().toISOString() }], "d1");
    await inbox.receive({ integration: "acme", rawBody: Buffer.from(webhook.body), headers: webhook.headers });
    await inbox.receive({ integration: "acme", rawBody: Buffer.from(webhook.body), headers: webhook.headers }); // duplicate
    for (let i = 0; i < 5; i += 1) {
      await inbox.receive({
        integration: "acme",
        rawBody: Buffer.from(`{"n":${i}}`),
        headers: { "content-type": "application/json", "x-test-signature": "AAAA" },
      });
    }
    await inbox.drain();
    clock.advance(10 * 24 * 3_600_000);
    await inbox.prune(new Date(clock.now().getTime() - 3_600_000));
    const left = await inbox.listDeliveries({ limit: 100 });
    expect(left.items.map((delivery) => delivery.status)).toEqual([]);
  });
});
