/**
 * De-duplication must never swallow a webhook that is not a replay. Two integrations of the same
 * provider (two QuickBooks apps connected to one company, each with its own handler) receive the
 * same change: each is its own delivery to its own handler, not a duplicate of the other.
 */
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore, createWebhookInbox } from "webhook-inbox";
import { quickbooks } from "webhook-inbox/quickbooks";
import { type FakeQuickBooks, quickBooksClassicPayload, startFakeQuickBooks } from "webhook-inbox/testing";
import { silentLogger } from "./support.ts";

const REALM = "7770000000000001";

describe("de-duplication scope", () => {
  let fake: FakeQuickBooks;
  afterEach(async () => {
    await fake.close();
  });

  it("the same change sent to two integrations of one provider reaches both integrations' handlers", async () => {
    fake = await startFakeQuickBooks();
    fake.records.set(REALM, "Invoice", "42", { TotalAmt: 42 });
    const seen: string[] = [];
    const provider = (verifierToken: string) => quickbooks({ verifierToken, getAccessToken: () => "token", baseUrl: fake.url });
    const inbox = createWebhookInbox({
      store: new MemoryStore(),
      integrations: { "app-a": { provider: provider("verifier-a") }, "app-b": { provider: provider("verifier-b") } },
      handlers: {
        "app-a": (event) => void seen.push(`a:${event.entityId}`),
        "app-b": (event) => void seen.push(`b:${event.entityId}`),
      },
      logger: silentLogger,
    });
    const lastUpdated = new Date().toISOString();
    for (const [integration, token] of [
      ["app-a", "verifier-a"],
      ["app-b", "verifier-b"],
    ] as const) {
      const webhook = quickBooksClassicPayload(token, [{ realmId: REALM, name: "Invoice", id: "42", lastUpdated }]);
      const answer = await inbox.receive({ integration, rawBody: Buffer.from(webhook.body), headers: webhook.headers });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body).status, integration).toBe("accepted");
    }
    await inbox.drain();
    expect(seen.sort()).toEqual(["a:42", "b:42"]);
  });
});
