import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { WebhookConfigError, createAdminHandler, createFetchHandler } from "webhook-inbox";
import { createExpressAdmin, createExpressMiddleware } from "webhook-inbox/express";
import { fastifyWebhookInboxAdmin } from "webhook-inbox/fastify";
import { PostgresStore } from "webhook-inbox/postgres";
import { setupInbox } from "../helpers/inbox.ts";

function thrown(build: () => unknown): WebhookConfigError {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookConfigError);
    return error as WebhookConfigError;
  }
  throw new Error("expected a WebhookConfigError");
}

describe("one validateOptions path for every options object", () => {
  const { inbox } = setupInbox();

  it.each([
    ["createAdminHandler() options", () => createAdminHandler(inbox, { authorize: "yes" } as never), "authorize"],
    ["createExpressAdmin() options", () => createExpressAdmin(inbox, { authorize: () => true, extra: 1 } as never), "(options)"],
    ["PostgresStore options", () => new PostgresStore({ connectionString: "postgres://x", schema: 5 } as never), "schema"],
    ["createFetchHandler() options", () => createFetchHandler(inbox, { integration: "acme", logger: { error() {} } } as never), "logger"],
    ["createExpressMiddleware(inbox)", () => createExpressMiddleware({} as never, { integration: "acme" }), "(options)"],
  ])("%s: Invalid <label>: naming the bad path, with zod's error as cause", (label, build, path) => {
    const error = thrown(build);
    expect(error.message.startsWith(`Invalid ${label}:`)).toBe(true);
    expect(error.issues.map((issue) => issue.path)).toContain(path);
    expect(error.cause).toBeDefined();
  });

  it("the Fastify admin plugin fails registration the same way", async () => {
    const app = Fastify();
    app.register(fastifyWebhookInboxAdmin, { inbox, authorize: 3 } as never);
    const error = await app.ready().then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(WebhookConfigError);
    expect((error as WebhookConfigError).message.startsWith("Invalid fastifyWebhookInboxAdmin options:")).toBe(true);
    expect((error as WebhookConfigError).issues.map((issue) => issue.path)).toContain("authorize");
    await app.close();
  });

  it("the inbox and the HTTP adapters take one Logger shape", () => {
    expect(thrown(() => createFetchHandler(inbox, { integration: "acme", logger: { error() {} } } as never)).message).toMatch(
      /logger: must have debug, info, warn and error methods/,
    );
    expect(thrown(() => createExpressMiddleware(inbox, { integration: "acme", logger: {} } as never)).message).toMatch(
      /logger: must have debug, info, warn and error methods/,
    );
    expect(thrown(() => createExpressMiddleware({} as never, { integration: "acme" })).message).toMatch(/the inbox must be a WebhookProcessor/);
  });
});
