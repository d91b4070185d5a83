import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express, NextFunction, Request, Response } from "express";
import express5 from "express";
import express4 from "express4";
import { afterEach, describe, expect, it } from "vitest";
import { WebhookConfigError, type Logger, type WebhookProcessor } from "webhook-inbox";
import { EXPRESS_BODY_CONSUMED_MESSAGE, createExpressMiddleware } from "webhook-inbox/express";
import { testWebhook } from "webhook-inbox/testing";
import { SECRET, createCaseInbox, quietLogger, vector } from "./cases.ts";
import { describeHttpCases, sendOverHttp } from "./run-cases.ts";

async function listen(app: Express): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  const server: Server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// The same cases on both supported majors: Express 5 ("express") and Express 4 (the "express4" alias).
for (const [major, express] of [
  ["Express 5", express5],
  ["Express 4", express4 as unknown as typeof express5],
] as const) {
  describeHttpCases(major, async (inbox) => {
    const app = express();
    app.all("/webhooks/:integration", createExpressMiddleware(inbox, { param: "integration" }));
    app.all("/fixed/test", createExpressMiddleware(inbox, { integration: "test" }));
    const { baseUrl, close } = await listen(app);
    return { send: (request) => sendOverHttp(baseUrl, request), close };
  });

  describe(`${major}: createExpressMiddleware with the host's body parsers`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    async function serve(configure: (app: Express, inbox: WebhookProcessor, logger: Logger) => void) {
      const errors: string[] = [];
      const logger: Logger = { ...quietLogger, error: (message) => errors.push(message) };
      const inbox = createCaseInbox();
      const app = express();
      configure(app, inbox, logger);
      const { baseUrl, close } = await listen(app);
      cleanups.push(async () => {
        await close();
        await inbox.stop();
      });
      return { baseUrl, inbox, errors };
    }

    const post = (baseUrl: string, path: string, id: string) => {
      const webhook = testWebhook(SECRET, [{ tenantId: "t1", entityType: "invoice", entityId: "inv-1", occurredAt: "2030-01-01T00:00:00.000Z" }], id);
      return sendOverHttp(baseUrl, { method: "POST", path, headers: webhook.headers, body: webhook.body });
    };

    it("express.json() mounted globally in front: a loud 500 naming the fix, logged once, never a 401", async () => {
      const { baseUrl, errors, inbox } = await serve((app, inbox, logger) => {
        app.use(express.json()); // the careless host
        app.all("/webhooks/:integration", createExpressMiddleware(inbox, { param: "integration", logger }));
      });
      for (const id of ["evt-1", "evt-2", "evt-3"]) {
        const response = await post(baseUrl, "/webhooks/test", id);
        expect(response.status).toBe(500);
        expect(JSON.parse(response.body)).toEqual({ error: "BODY_ALREADY_PARSED", message: EXPRESS_BODY_CONSUMED_MESSAGE });
      }
      expect(EXPRESS_BODY_CONSUMED_MESSAGE).toContain("mount webhook-inbox before express.json()");
      expect(EXPRESS_BODY_CONSUMED_MESSAGE).toContain("express.raw({ type: '*/*' })");
      expect(errors).toEqual([EXPRESS_BODY_CONSUMED_MESSAGE]);
      // Each request is logged with the cause; nothing was verified against re-serialised JSON, so none as a bad signature.
      const reasons = (await inbox.listDeliveries()).items.map((delivery) => `${delivery.status}: ${delivery.reason}`);
      expect(reasons).toHaveLength(3);
      for (const reason of reasons) expect(reason).toMatch(/^rejected: body already consumed .*BODY_ALREADY_PARSED/);
    });

    it("express.json() in front still lets requests it skipped through (GET → 405, text/plain → 415)", async () => {
      const { baseUrl, errors } = await serve((app, inbox, logger) => {
        app.use(express.json());
        app.all("/webhooks/:integration", createExpressMiddleware(inbox, { param: "integration", logger }));
      });
      expect((await sendOverHttp(baseUrl, { method: "GET", path: "/webhooks/test" })).status).toBe(405);
      const webhook = testWebhook(SECRET, [], "evt-text");
      expect(
        (
          await sendOverHttp(baseUrl, {
            method: "POST",
            path: "/webhooks/test",
            headers: { ...webhook.headers, "content-type": "text/plain" },
            body: webhook.body,
          })
        ).status,
      ).toBe(415);
      expect(errors).toEqual([]);
    });

    it("express.json({ verify }) keeping req.rawBody: the exact bytes verify (Xero's irregular spacing, XERO-2)", async () => {
      const { baseUrl, errors } = await serve((app, inbox, logger) => {
        app.use(express.json({ verify: (req, _res, buf) => void ((req as { rawBody?: Buffer }).rawBody = buf) }));
        app.all("/webhooks/:integration", createExpressMiddleware(inbox, { param: "integration", logger }));
      });
      const v = vector("XERO-2");
      const response = await sendOverHttp(baseUrl, {
        method: "POST",
        path: "/webhooks/vector-xero-2",
        headers: { "content-type": "application/json", [v.header]: v.expected },
        body: v.body,
      });
      expect(response.status).toBe(200);
      expect(response.body).toBe("");
      expect((await post(baseUrl, "/webhooks/test", "evt-raw")).status).toBe(202);
      expect(errors).toEqual([]);
    });

    it("express.raw({ type: '*/*' }) on the path: the Buffer body is used", async () => {
      const { baseUrl, inbox } = await serve((app, inbox, logger) => {
        app.all("/webhooks/:integration", express.raw({ type: "*/*" }), createExpressMiddleware(inbox, { param: "integration", logger }));
        app.use(express.json());
      });
      const response = await post(baseUrl, "/webhooks/test", "evt-buffer");
      expect(response.status).toBe(202);
      const [delivery] = (await inbox.listDeliveries()).items;
      expect(delivery?.status).toBe("accepted");
    });

    it("mounted before express.json(): the host's own routes still get parsed JSON", async () => {
      const { baseUrl } = await serve((app, inbox, logger) => {
        app.all("/webhooks/:integration", createExpressMiddleware(inbox, { param: "integration", logger }));
        app.use(express.json());
        app.post("/api/echo", (req, res) => void res.json({ parsed: req.body }));
      });
      expect((await post(baseUrl, "/webhooks/test", "evt-order")).status).toBe(202);
      const echo = await sendOverHttp(baseUrl, { method: "POST", path: "/api/echo", headers: { "content-type": "application/json" }, body: '{"a":1}' });
      expect(JSON.parse(echo.body)).toEqual({ parsed: { a: 1 } });
    });

    it("a route without the named parameter: a loud 500, not a stream of 404s", async () => {
      const { baseUrl, errors } = await serve((app, inbox, logger) => {
        app.all("/hooks", createExpressMiddleware(inbox, { param: "integration", logger }));
      });
      const response = await post(baseUrl, "/hooks", "evt-param");
      expect(response.status).toBe(500);
      expect(JSON.parse(response.body).error).toBe("ROUTE_PARAM_MISSING");
      expect(errors).toHaveLength(1);
    });

    it("never reaches the host's error handler, even if receive() itself failed", async () => {
      const seen: unknown[] = [];
      const broken = { maxBodyBytes: 1024, receive: async () => Promise.reject(new Error("boom")) };
      const { baseUrl } = await serve((app, inbox, logger) => {
        app.use(express.json());
        app.all("/webhooks/:integration", createExpressMiddleware(inbox, { param: "integration", logger }));
        app.all("/broken", createExpressMiddleware(broken, { integration: "test", logger }));
        app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
          seen.push(error);
          res.status(599).end();
        });
      });
      expect((await post(baseUrl, "/webhooks/test", "evt-handler")).status).toBe(500);
      expect((await sendOverHttp(baseUrl, { method: "POST", path: "/broken", headers: { "content-type": "text/plain" }, body: "x" })).status).toBe(500);
      expect(seen).toEqual([]);
    });

    it("validates its options", () => {
      const inbox = createCaseInbox();
      expect(() => createExpressMiddleware(inbox, {})).toThrow(WebhookConfigError);
      expect(() => createExpressMiddleware(inbox, { integration: "test", param: "integration" })).toThrow(/exactly one/);
      expect(() => createExpressMiddleware(inbox, { integration: "test", path: "/x" } as never)).toThrow(/path/);
    });
  });
}
