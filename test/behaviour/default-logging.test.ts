import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryStore, createWebhookInbox, type Logger, type WebhookInboxOptions } from "webhook-inbox";
import { quickbooks } from "webhook-inbox/quickbooks";
import { ManualClock, TestApi, quickBooksClassicPayload, testProvider, testWebhook } from "webhook-inbox/testing";

const SECRET = "test-secret";
const change = { tenantId: "t1", entityType: "invoice", entityId: "1", occurredAt: "2030-01-01T00:00:00Z" };

/** What the default (console) logger writes, one line per call: the level, the message, then the context. */
function captureConsole() {
  const lines: { level: string; message: string; context: unknown }[] = [];
  for (const level of ["debug", "info", "warn", "error"] as const) {
    vi.spyOn(console, level).mockImplementation((message: unknown, context: unknown) => void lines.push({ level, message: String(message), context }));
  }
  return lines;
}

afterEach(() => vi.restoreAllMocks());

/** An inbox on the test provider with no `logger` option: the default logger is in use. */
function setup(options: Partial<WebhookInboxOptions> = {}) {
  const clock = new ManualClock();
  const api = new TestApi();
  const inbox = createWebhookInbox({
    store: new MemoryStore(),
    clock,
    integrations: { acme: { provider: testProvider({ secret: SECRET, api }), mode: "immediate" } },
    handler: () => {},
    retryDelay: () => 10_000,
    ...options,
  });
  const send = () => {
    const { body, headers } = testWebhook(SECRET, [change]);
    return inbox.receive({ integration: "acme", rawBody: Buffer.from(body), headers });
  };
  return { inbox, clock, api, send };
}

describe("default failure logging", () => {
  it("writes a failed attempt at warn and the exhausted event at error, once per attempt, naming integration, tenant, entity and event", async () => {
    const lines = captureConsole();
    const { inbox, clock, api, send } = setup({ maxAttempts: 2 });
    api.set("t1", "invoice", "1", { Id: "1" }).fail("t1", "invoice", "1", Infinity);
    await send();
    await inbox.drain();
    const id = (await inbox.listEvents()).items[0]!.id;
    const context = { integration: "acme", tenantId: "t1", entityType: "invoice", entityId: "1", eventId: id };

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "warn", context: { ...context, attempt: 1 } });
    expect(lines[0]!.message).toMatch(
      /^\[webhook-inbox\] attempt 1 failed \(receive; 1 of 2 automatic attempts spent\); retrying at \S+: test API: invoice 1 failed$/,
    );

    clock.advance(10_000);
    await inbox.drain();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: "error", context: { ...context, attempt: 2 } });
    expect(lines[1]!.message).toBe(
      "[webhook-inbox] event failed, no automatic attempts left (2 of 2 made); retry it from the dashboard or with inbox.retry() once the cause is fixed: test API: invoice 1 failed",
    );
  });

  it("logs a provider error (getAccessToken returned no token, not retried) at error", async () => {
    const lines = captureConsole();
    const verifierToken = "verifier";
    const inbox = createWebhookInbox({
      store: new MemoryStore(),
      clock: new ManualClock(),
      integrations: { qbo: { provider: quickbooks({ verifierToken, getAccessToken: () => "", baseUrl: "http://127.0.0.1:9" }) } },
      handler: () => {},
    });
    const signed = quickBooksClassicPayload(verifierToken, [
      { realmId: "r1", name: "Invoice", id: "7", operation: "Update", lastUpdated: "2030-01-01T00:00:00Z" },
    ]);
    await inbox.receive({ integration: "qbo", rawBody: Buffer.from(signed.body), headers: signed.headers });
    await inbox.drain();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "error", context: { integration: "qbo", tenantId: "r1", entityType: "Invoice", entityId: "7" } });
    expect(lines[0]!.message).toMatch(/^\[webhook-inbox\] event failed, not retried, the error is permanent; .*getAccessToken returned no token/);
  });

  it("logs a direct-mode 500 at error with the failing change", async () => {
    const lines = captureConsole();
    const { send } = setup({
      integrations: { acme: { provider: testProvider({ secret: SECRET, api: new TestApi().set("t1", "invoice", "1", { Id: "1" }) }), mode: "direct" } },
      handler: () => {
        throw new Error("ledger is locked");
      },
    });
    const response = await send();
    expect(response.status).toBe(500);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "error", context: { integration: "acme", tenantId: "t1", entityType: "invoice", entityId: "1", status: 500 } });
    expect(lines[0]!.message).toBe("[webhook-inbox] direct mode: answered 500, the provider will resend: ledger is locked");
  });

  it("logLevel controls what reaches the console or the host's logger", async () => {
    const lines = captureConsole();
    const quiet = setup({ logLevel: "error" });
    quiet.api.set("t1", "invoice", "1", { Id: "1" }).fail("t1", "invoice", "1", 1);
    await quiet.send();
    await quiet.inbox.drain();
    expect(lines).toEqual([]); // the retrying attempt is a warn

    const verbose = setup({ logLevel: "debug" });
    verbose.api.set("t1", "invoice", "1", { Id: "1" });
    await verbose.send();
    await verbose.inbox.drain();
    expect(lines.map((line) => [line.level, line.message.replace(/\d+ ms/, "N ms")])).toEqual([["debug", "[webhook-inbox] processed in N ms"]]);

    const seen: string[] = [];
    const record = (level: string) => (message: string) => void seen.push(`${level}: ${message}`);
    const logger: Logger = { debug: record("debug"), info: record("info"), warn: record("warn"), error: record("error") };
    const hosted = setup({ logger, logLevel: "warn" });
    hosted.api.set("t1", "invoice", "1", { Id: "1" }).fail("t1", "invoice", "1", 1);
    await hosted.send();
    await hosted.inbox.drain();
    expect(seen).toEqual([expect.stringMatching(/^warn: attempt 1 failed/)]);
    expect(lines).toHaveLength(1); // nothing more on the console
  });

  it("rejects an unknown logLevel naming the option", () => {
    expect(() => setup({ logLevel: "verbose" as never })).toThrow(/logLevel/);
  });
});
