import { describe, expect, it, vi } from "vitest";
import { WebhookConfigError } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";

// Plays a host without pg installed: the adapter's lazy require fails.
vi.mock("node:module", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:module")>();
  return {
    ...actual,
    createRequire: () => (id: string) => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: "MODULE_NOT_FOUND" });
    },
  };
});

describe("PostgresStore without pg", () => {
  it("says what to install when asked to create its own pool, at construction", () => {
    let error: unknown;
    try {
      new PostgresStore({ connectionString: "postgres://localhost/none" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(WebhookConfigError);
    expect((error as WebhookConfigError).message).toMatch(/needs the optional dependency pg: run `npm install pg`/);
    expect((error as WebhookConfigError).issues).toEqual([{ path: "connectionString", message: "the pg package is not installed" }]);
    expect(((error as WebhookConfigError).cause as { code?: string }).code).toBe("MODULE_NOT_FOUND");
  });

  it("needs no pg at all when the host passes its own pool", async () => {
    const pool = {
      query: async () => ({ rows: [{ due: null }], rowCount: 1 }),
      connect: async () => {
        throw new Error("not used");
      },
    };
    const store = new PostgresStore({ pool });
    expect(await store.nextDueAt()).toBeNull();
    await store.close();
  });
});
