// singleFlightTokens on one store: refresh only near expiry, rotated refresh tokens stored before use, invalid_grant parks the tenant's events instead of failing them.
import { describe, expect, it } from "vitest";
import { MemoryStore, ReauthorizationRequiredError, WebhookConfigError, createWebhookInbox, singleFlightTokens, type WebhookStore } from "webhook-inbox";
import { ManualClock, testProvider, testWebhook } from "webhook-inbox/testing";
import { FakeTokenEndpoint } from "../helpers/token-endpoint.ts";

const HOUR = 3_600_000;

function setup() {
  const clock = new ManualClock("2030-01-01T00:00:00.000Z");
  const store = new MemoryStore();
  const endpoint = new FakeTokenEndpoint(1);
  const tokens = singleFlightTokens({ store, provider: "test", refresh: endpoint.refresh, clock, holder: "instance-a" });
  return { clock, store, endpoint, tokens };
}

describe("singleFlightTokens", () => {
  it("refreshes only when the access token is about to expire, and stores the rotated refresh token before handing out the new access token", async () => {
    const { clock, store, endpoint, tokens } = setup();
    await tokens.save("t1", { refreshToken: endpoint.connect("t1") }, { changedBy: "oauth-callback" });
    const first = await tokens.getAccessToken("t1");
    expect(endpoint.calls).toHaveLength(1);
    // The store already holds the rotated refresh token: a crash now loses nothing.
    const [record] = await store.sharedState.readRecords({ prefix: "token:test:t1" });
    expect(record?.value).toMatchObject({ refreshToken: expect.stringMatching(/^rt-t1-/), accessToken: first });
    expect((record!.value as { refreshToken: string }).refreshToken).not.toBe(endpoint.calls[0]!.refreshToken);
    expect(record?.changedBy).toBe("instance-a");

    clock.advance(HOUR - 3 * 60_000);
    expect(await tokens.getAccessToken("t1")).toBe(first);
    expect(endpoint.calls).toHaveLength(1);
    clock.advance(2 * 60_000); // inside refreshBeforeMs (2 min) of the expiry
    const second = await tokens.getAccessToken("t1");
    expect(second).not.toBe(first);
    expect(endpoint.calls.map((call) => call.accepted)).toEqual([true, true]);
    expect(tokens.refreshes).toBe(2);
    expect(await tokens.status("t1")).toMatchObject({ needsReauthorization: null, accessTokenExpiresAt: new Date(clock.now().getTime() + HOUR) });
  });

  it("marks a tenant whose refresh is refused with invalid_grant, stops calling the provider for it, and clears the mark on save", async () => {
    const { endpoint, tokens } = setup();
    const refreshToken = endpoint.connect("t1");
    await tokens.save("t1", { refreshToken });
    endpoint.revoke("t1");
    await expect(tokens.getAccessToken("t1")).rejects.toThrow(ReauthorizationRequiredError);
    // The reason kept with the tenant (and shown on its parked events) never quotes the token, even when the client's error does.
    const { store } = setup();
    const echoing = singleFlightTokens({
      store,
      provider: "test",
      refresh: async ({ refreshToken: sent }) => Promise.reject(new Error(`invalid_grant: ${sent} is not valid`)),
    });
    await echoing.save("t9", { refreshToken: "rt-secret-value" });
    await expect(echoing.getAccessToken("t9")).rejects.toThrow(/\[redacted\] is not valid/);
    expect(JSON.stringify(await echoing.status("t9"))).not.toContain("rt-secret-value");
    expect(JSON.stringify(await tokens.status("t1"))).not.toContain(refreshToken);
    await expect(tokens.getAccessToken("t1")).rejects.toMatchObject({ code: "REAUTHORIZATION_REQUIRED", tenantId: "t1" });
    expect(endpoint.calls).toHaveLength(1);
    expect(await tokens.needingReauthorization()).toEqual([
      expect.objectContaining({ tenantId: "t1", needsReauthorization: expect.objectContaining({ reason: expect.stringContaining("invalid_grant") }) }),
    ]);

    await tokens.save("t1", { refreshToken: endpoint.connect("t1") });
    expect(await tokens.getAccessToken("t1")).toMatch(/^at-t1-/);
    expect(await tokens.needingReauthorization()).toEqual([]);
    await expect(tokens.getAccessToken("never-connected")).rejects.toThrow(/no token saved/);
  });

  it("refuses a store without sharedState and a refresh that is not a function", () => {
    const store = new MemoryStore();
    const bare = new Proxy(store, { get: (target, property) => (property === "sharedState" ? undefined : Reflect.get(target, property)) }) as WebhookStore;
    expect(() => singleFlightTokens({ store: bare, provider: "test", refresh: async () => ({ accessToken: "a", expiresIn: 1 }) })).toThrow(/sharedState/);
    expect(() => singleFlightTokens({ store, provider: "test", refresh: "nope" as never })).toThrow(WebhookConfigError);
  });

  it("parks a tenant's events while it needs re-authorisation (waiting, visible, no attempt spent) and processes them once it is saved again", async () => {
    const { clock, store, endpoint, tokens } = setup();
    const provider = testProvider({ secret: "s" });
    provider.api.set("t1", "invoice", "inv-1", { Id: "inv-1" });
    // A provider that asks the helper for a token before every download, as quickbooks()/xero() do.
    const guarded = {
      ...provider,
      fetchResources: async (input: Parameters<typeof provider.fetchResources>[0]) => (
        await tokens.getAccessToken(input.tenantId), provider.fetchResources(input)
      ),
    };
    const handled: string[] = [];
    const inbox = createWebhookInbox({
      store,
      clock,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      integrations: { books: { provider: guarded, mode: "delayed", delayMs: 0 } },
      handler: async (event) => void handled.push(event.entityId),
    });
    await tokens.save("t1", { refreshToken: endpoint.connect("t1") });
    endpoint.revoke("t1");
    const { body, headers } = testWebhook("s", [{ tenantId: "t1", entityType: "invoice", entityId: "inv-1", occurredAt: clock.now().toISOString() }]);
    expect((await inbox.receive({ integration: "books", rawBody: Buffer.from(body), headers })).status).toBe(202);

    for (let pass = 0; pass < 3; pass += 1) {
      await inbox.drain();
      clock.advance(60_000); // recheckMs: looked at again, the provider is not called while the mark stands
    }
    const [parked] = (await inbox.listEvents({ entityId: "inv-1" })).items;
    expect(parked).toMatchObject({ status: "queued", attemptsMade: 0, attemptsRemaining: 3, lastError: expect.stringContaining("needs re-authorisation") });
    expect((await inbox.getEvent(parked!.id))?.attempts).toEqual([]);
    expect(handled).toEqual([]);
    expect(endpoint.calls).toHaveLength(1);

    await tokens.save("t1", { refreshToken: endpoint.connect("t1") });
    clock.advance(60_000);
    await inbox.drain();
    expect(handled).toEqual(["inv-1"]);
    expect((await inbox.getEvent(parked!.id))?.status).toBe("succeeded");
  });
});
