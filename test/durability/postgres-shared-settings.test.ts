// Shared settings on PostgreSQL: a change made through one instance's admin API applies on the others within a bound, and survives a restart.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { type WebhookProcessor, createAdminHandler, createWebhookInbox } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";
import { testProvider, testWebhook } from "webhook-inbox/testing";

const url = process.env.DATABASE_URL;
const SECRET = "settings-secret";
const silent = { debug() {}, info() {}, warn() {}, error() {} };
/** The bound asserted with NOTIFY: a change notice plus one re-read, on a busy 2-core machine. */
const NOTIFY_BOUND_MS = 2_000;

/** Polls `read` until it answers `wanted`; resolves with how long that took, or fails after `boundMs`. */
async function timeUntil<T>(read: () => T, wanted: T, boundMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (read() === wanted) return performance.now() - started;
    if (performance.now() - started > boundMs) throw new Error(`still ${JSON.stringify(read())} after ${boundMs} ms, expected ${JSON.stringify(wanted)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

if (!url) {
  describe.skip("shared settings on PostgreSQL (skipped: set DATABASE_URL to run)", () => {
    it("needs PostgreSQL", () => {});
  });
} else {
  describe("shared settings on PostgreSQL", () => {
    const pools: pg.Pool[] = [];
    const schemas: string[] = [];
    const running: { inbox: WebhookProcessor; store: PostgresStore }[] = [];
    afterAll(async () => {
      // Whatever a failed test left running, so the pools can end.
      for (const { inbox, store } of running) {
        await inbox.stop();
        await store.close();
      }
      for (const schema of schemas) await pools[0]!.query(`drop schema if exists "${schema}" cascade`);
      await Promise.all(pools.map((pool) => pool.end()));
    });

    function newSchema(): string {
      const schema = `wi_settings_${randomBytes(5).toString("hex")}`;
      schemas.push(schema);
      return schema;
    }

    /** One app instance: its own pool (another process, as far as the database can tell). */
    function instance(schema: string, options: { mode?: "immediate" | "delayed"; notify?: boolean; settingsRefreshMs?: number } = {}) {
      const pool = new pg.Pool({ connectionString: url, max: 3 });
      pools.push(pool);
      const store = new PostgresStore({ pool, schema, notify: options.notify ?? true });
      const handled: string[] = [];
      const inbox = createWebhookInbox({
        store,
        logger: silent,
        settingsRefreshMs: options.settingsRefreshMs ?? 60_000,
        integrations: { books: { provider: testProvider({ secret: SECRET }), mode: options.mode ?? "immediate" } },
        handler: async (event) => void handled.push(event.entityId),
      });
      running.push({ inbox, store });
      return { inbox, store, handled };
    }

    async function put(inbox: WebhookProcessor, path: string, body: unknown, actor = "alice@example.com") {
      const admin = createAdminHandler(inbox, { authorize: () => ({ actor }) });
      const response = await admin(
        new Request(`http://app.test/api/${path}`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
      );
      expect(response.status).toBe(200);
      return response.json();
    }

    it("applies a mode switch and the service switch made through one instance's admin API on three others within the bound, and keeps them across a restart", async () => {
      const schema = newSchema();
      const instances = [instance(schema), instance(schema), instance(schema), instance(schema)];
      await Promise.all(instances.map(({ inbox }) => inbox.start()));
      const [first, ...others] = instances.map(({ inbox }) => inbox);

      // A fresh store: the options are the settings.
      for (const inbox of instances.map((i) => i.inbox)) expect(inbox.getSettings()).toMatchObject({ serviceEnabled: true, serviceChange: null, shared: true });
      expect(others[0]!.listIntegrations()[0]).toMatchObject({ mode: "immediate", modeChange: null });

      const answer = await put(first!, "settings/integrations/books", { mode: "delayed" });
      expect(answer.integrations[0]).toMatchObject({ mode: "delayed", modeChange: { changedBy: "alice@example.com" } });
      // Refresh timers are a minute away: only the change notice can bring it within the bound.
      const modeLatencies = await Promise.all(others.map((inbox) => timeUntil(() => inbox.getMode("books"), "delayed", NOTIFY_BOUND_MS)));
      for (const inbox of others) expect(inbox.listIntegrations()[0]!.modeChange).toMatchObject({ changedBy: "alice@example.com" });

      await put(others[1]!, "settings/service", { enabled: false }, "bob@example.com");
      const serviceLatencies = await Promise.all(
        [first!, others[0]!, others[2]!].map((inbox) => timeUntil(() => inbox.serviceEnabled, false, NOTIFY_BOUND_MS)),
      );
      // In force on another instance: a webhook it receives is processed in the request (direct).
      const { body, headers } = testWebhook(SECRET, [
        { tenantId: "t1", entityType: "invoice", entityId: "inv-1", occurredAt: new Date().toISOString(), deleted: true },
      ]);
      expect((await others[2]!.receive({ integration: "books", rawBody: Buffer.from(body), headers })).status).toBe(200);
      expect(instances[3]!.handled).toEqual(["inv-1"]);
      expect((await others[2]!.listEvents({ entityId: "inv-1" })).items).toEqual([]);
      console.info(
        `[shared settings] applied elsewhere after: mode ${modeLatencies.map((ms) => ms.toFixed(0)).join(", ")} ms; service ${serviceLatencies.map((ms) => ms.toFixed(0)).join(", ")} ms`,
      );

      await Promise.all(
        instances.map(async ({ inbox, store }) => {
          await inbox.stop();
          await store.close();
        }),
      );

      // A restart with the same options: the stored changes win over them, with who made them.
      const restarted = instance(schema);
      await restarted.inbox.start();
      const settings = restarted.inbox.getSettings();
      expect(settings.serviceEnabled).toBe(false);
      expect(settings.serviceChange?.changedBy).toBe("bob@example.com");
      expect(settings.integrations[0]).toMatchObject({ mode: "delayed", effectiveMode: "direct", modeChange: { changedBy: "alice@example.com" } });
      await restarted.inbox.stop();
      await restarted.store.close();
    });

    it("falls back to the periodic re-read when no change notice arrives", async () => {
      const schema = newSchema();
      const writer = instance(schema, { notify: false });
      const reader = instance(schema, { notify: false, settingsRefreshMs: 300 });
      await Promise.all([writer.inbox.start(), reader.inbox.start()]);
      await writer.inbox.setMode("books", "delayed", { changedBy: "script" });
      const latency = await timeUntil(() => reader.inbox.getMode("books"), "delayed", 300 + NOTIFY_BOUND_MS);
      expect(reader.inbox.listIntegrations()[0]!.modeChange?.changedBy).toBe("script");
      console.info(`[shared settings] without NOTIFY, applied after ${latency.toFixed(0)} ms (settingsRefreshMs 300)`);
      for (const { inbox, store } of [writer, reader]) {
        await inbox.stop();
        await store.close();
      }
    });
  });
}
