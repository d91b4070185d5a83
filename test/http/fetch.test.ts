import { describe, expect, it } from "vitest";
import { MemoryStore, WebhookConfigError, createFetchHandler, createWebhookInbox, type Logger } from "webhook-inbox";
import { testProvider, testWebhook } from "webhook-inbox/testing";
import { SECRET, createCaseInbox, quietLogger } from "./cases.ts";
import { describeHttpCases, fromResponse, toRequest } from "./run-cases.ts";

const BASE = "http://inbox.test";

describeHttpCases("Fetch handler", async (inbox) => {
  // One handler for all integrations (from the path), one per integration; the test plays the router.
  const byPath = createFetchHandler(inbox, { integrationFromPath: (url) => /^\/webhooks\/([^/]+)$/.exec(url.pathname)?.[1] });
  const fixed = createFetchHandler(inbox, { integration: "test" });
  return {
    send: async (request) => {
      const handler = request.path.startsWith("/fixed/") ? fixed : byPath;
      return fromResponse(await handler(toRequest(BASE, request)));
    },
    close: async () => {},
  };
});

describe("createFetchHandler", () => {
  it("stops reading a streamed body at the cap instead of buffering it all", async () => {
    const inbox = createCaseInbox();
    const handle = createFetchHandler(inbox, { integration: "test" });
    let pulled = 0;
    // An endless body: the handler must cancel it once past maxBodyBytes.
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(1024).fill(120));
      },
    });
    const request = new Request(`${BASE}/`, { method: "POST", body: endless, duplex: "half", headers: { "content-type": "application/json" } } as RequestInit);
    const response = await handle(request);
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThan(10);
    const [delivery] = (await inbox.listDeliveries()).items;
    expect(delivery?.status).toBe("rejected");
  });

  it("answers 500 with the fix, logged once, when the body was already read", async () => {
    const errors: string[] = [];
    const logger: Logger = { ...quietLogger, error: (message) => errors.push(message) };
    const inbox = createCaseInbox();
    const handle = createFetchHandler(inbox, { integration: "test", logger });
    for (let i = 0; i < 2; i += 1) {
      const webhook = testWebhook(SECRET, [], `evt-${i}`);
      const request = new Request(`${BASE}/`, { method: "POST", body: webhook.body, headers: webhook.headers });
      await request.json(); // a framework that parsed first
      const response = await handle(request);
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({ error: "BODY_ALREADY_READ", message: expect.stringContaining("untouched Request") });
    }
    expect(errors).toHaveLength(1);
  });

  it("validates its options", () => {
    const inbox = createWebhookInbox({
      store: new MemoryStore(),
      integrations: { test: { provider: testProvider({ secret: SECRET }) } },
      handler: async () => {},
    });
    expect(() => createFetchHandler(inbox, {})).toThrow(WebhookConfigError);
    expect(() => createFetchHandler(inbox, { integration: "a", integrationFromPath: () => "a" })).toThrow(/exactly one/);
    expect(() => createFetchHandler({} as never, { integration: "test" })).toThrow(/inbox/);
  });
});
