// Settings kept in the store: a fresh store takes the options, a stored change wins over them after a restart, and inboxes over one store follow each other.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore, type WebhookStore, createWebhookInbox } from "webhook-inbox";
import { SqliteStore } from "webhook-inbox/sqlite";
import { ManualClock, testProvider } from "webhook-inbox/testing";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function inboxOver(store: WebhookStore, options: { mode?: "immediate" | "delayed" | "direct"; serviceEnabled?: boolean; clock?: ManualClock } = {}) {
  return createWebhookInbox({
    store,
    logger: silent,
    ...(options.clock ? { clock: options.clock } : {}),
    serviceEnabled: options.serviceEnabled ?? true,
    integrations: { books: { provider: testProvider({ secret: "s" }), mode: options.mode ?? "immediate" } },
    handler: async () => {},
  });
}

describe("settings kept in the store", () => {
  it("takes the options on a fresh store, and a stored change (with who and when) over them after a restart (SqliteStore)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "webhook-inbox-settings-"));
    dirs.push(dir);
    const filename = join(dir, "inbox.sqlite");
    const clock = new ManualClock("2030-01-01T00:00:00.000Z");

    const firstStore = new SqliteStore({ filename });
    const first = inboxOver(firstStore, { mode: "delayed", clock });
    await first.listEvents();
    expect(first.getSettings()).toMatchObject({ serviceEnabled: true, serviceChange: null, shared: true });
    expect(first.getMode("books")).toBe("delayed");
    await first.setMode("books", "direct", { changedBy: "alice" });
    clock.advance(1_000);
    await first.setServiceEnabled(false);
    expect(() => first.setMode("books", "sometimes" as never)).toThrow(/mode must be/);
    expect(() => first.setMode("nope", "direct")).toThrow(/unknown integration/);
    await first.stop();
    await firstStore.close();

    // Other options this time: the stored values still win; what was never changed follows the options.
    const restartedStore = new SqliteStore({ filename });
    const restarted = inboxOver(restartedStore, { mode: "immediate", serviceEnabled: true, clock });
    await restarted.listEvents();
    expect(restarted.getSettings()).toMatchObject({
      serviceEnabled: false,
      serviceChange: { changedAt: new Date("2030-01-01T00:00:01.000Z"), changedBy: null },
      integrations: [
        { id: "books", mode: "direct", effectiveMode: "direct", modeChange: { changedAt: new Date("2030-01-01T00:00:00.000Z"), changedBy: "alice" } },
      ],
    });
    await restartedStore.close();
  });

  it("lets inboxes over one MemoryStore follow each other's changes", async () => {
    const store = new MemoryStore();
    const a = inboxOver(store);
    const b = inboxOver(store);
    await Promise.all([a.start(), b.start()]);
    await a.setMode("books", "delayed", { changedBy: "ops" });
    await expect.poll(() => b.getMode("books")).toBe("delayed");
    expect(b.listIntegrations()[0]!.modeChange?.changedBy).toBe("ops");
    await Promise.all([a.stop(), b.stop()]);
  });
});
