import { describe, expect, it, vi } from "vitest";
import { WebhookConfigError } from "webhook-inbox";
import { SqliteStore } from "webhook-inbox/sqlite";

// Plays a host without better-sqlite3 installed: the adapter's lazy require fails.
vi.mock("node:module", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:module")>();
  return {
    ...actual,
    createRequire: () => (id: string) => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: "MODULE_NOT_FOUND" });
    },
  };
});

describe("SqliteStore without better-sqlite3", () => {
  it("can be imported and constructed; the first use explains what to install", async () => {
    const store = new SqliteStore({ filename: "never-created.sqlite" });
    const error = await store.migrate().then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(WebhookConfigError);
    expect((error as WebhookConfigError).message).toBe("SqliteStore needs the optional dependency better-sqlite3: npm install better-sqlite3");
    expect(((error as WebhookConfigError).cause as { code?: string }).code).toBe("MODULE_NOT_FOUND");
    await store.close();
  });
});
