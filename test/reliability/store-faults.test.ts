/**
 * Store faults on real PostgreSQL: the database "goes away" mid-run for this suite's pool only
 * (a TCP proxy in front of it drops every connection and refuses new ones; or the server terminates
 * the pool's backends). While it is away receives answer 503; when it is back processing resumes,
 * and every webhook that was acknowledged reaches a final status.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type InboxEvent, type ReceiveResult, type WebhookProcessor, createWebhookInbox } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";
import { TestApi, testProvider, testWebhook } from "webhook-inbox/testing";
import { recordLifecycle, silentLogger, startTcpProxy } from "./support.ts";

const url = process.env.DATABASE_URL;
const SECRET = "store-faults-secret";

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === "string" ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

if (!url) {
  describe.skip("store faults on PostgreSQL (skipped: set DATABASE_URL to run)", () => {
    it("needs PostgreSQL", () => {});
  });
} else {
  const target = new URL(url);
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  const schemas: string[] = [];
  afterAll(async () => {
    for (const schema of schemas) await admin.query(`drop schema if exists "${schema}" cascade`);
    await admin.end();
  });

  describe("store faults on PostgreSQL", () => {
    let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
    let pool: pg.Pool;
    let inbox: WebhookProcessor;
    let store: PostgresStore;
    let handled: InboxEvent[];
    let sent = 0;
    const applicationName = `wi-reliability-${randomBytes(4).toString("hex")}`;

    beforeAll(async () => {
      proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    });
    afterAll(async () => {
      await proxy.close();
    });
    afterEach(async () => {
      proxy.restore();
      await inbox?.stop();
      await store?.close();
      await pool?.end().catch(() => {});
    });

    function build(options: { leaseMs?: number; handler?: (event: InboxEvent) => Promise<void> } = {}) {
      const schema = `wi_rel_${randomBytes(5).toString("hex")}`;
      schemas.push(schema);
      pool = new pg.Pool({
        host: "127.0.0.1",
        port: proxy.port,
        user: decodeURIComponent(target.username) || "postgres",
        password: decodeURIComponent(target.password) || undefined,
        database: target.pathname.slice(1),
        application_name: applicationName,
        connectionTimeoutMillis: 1_000,
        max: 6,
      });
      pool.on("error", () => {}); // idle clients lose their connection when the proxy cuts: expected here
      store = new PostgresStore({ pool, schema });
      handled = [];
      const api = new TestApi();
      inbox = createWebhookInbox({
        store,
        integrations: { acme: { provider: testProvider({ secret: SECRET, api }), mode: "immediate" } },
        handler: async (event) => {
          await options.handler?.(event);
          handled.push(event);
        },
        retryDelay: () => 50,
        maxAttempts: 10,
        pollIntervalMs: 50,
        // Short leases: an event claimed by a pass the outage broke is taken again once its lease ends.
        leaseMs: options.leaseMs ?? 1_000,
        handlerTimeoutMs: (options.leaseMs ?? 1_000) / 2,
        logger: silentLogger,
      });
      inbox.on("error", () => {}); // store trouble is expected in this suite
      return { api };
    }

    async function send(): Promise<{ answer: ReceiveResult; entityId: string }> {
      sent += 1;
      const entityId = `e${sent}`;
      const { body, headers } = testWebhook(SECRET, [{ tenantId: "t1", entityType: "invoice", entityId, occurredAt: new Date().toISOString() }], `d${sent}`);
      const answer = await inbox.receive({ integration: "acme", rawBody: Buffer.from(body), headers });
      return { answer, entityId };
    }

    /** Every acknowledged entity reaches `succeeded`, through a pool that is healthy again. */
    async function expectNothingLost(acknowledged: string[]) {
      let last = "";
      await until(
        async () => {
          const counts = await inbox.countEvents({});
          last = JSON.stringify(counts.map((row) => [row.status, row.count]));
          const open = counts.filter((row) => row.status !== "succeeded").reduce((sum, row) => sum + row.count, 0);
          const done = counts.filter((row) => row.status === "succeeded").reduce((sum, row) => sum + row.count, 0);
          return open === 0 && done >= acknowledged.length;
        },
        15_000,
        () => `every acknowledged event (${acknowledged.length}) to succeed; last counts ${last}`,
      );
      const page = await inbox.listEvents({ limit: 500 });
      const succeeded = new Set(page.items.filter((event) => event.status === "succeeded").map((event) => event.entityId));
      for (const entityId of acknowledged) expect(succeeded.has(entityId), `${entityId} acknowledged but not succeeded`).toBe(true);
      for (const entityId of acknowledged) expect(handled.some((event) => event.entityId === entityId)).toBe(true);
    }

    it("the database goes away mid-run: receives answer 503 while it is away, processing resumes when it is back, nothing acknowledged is lost", async () => {
      build();
      const lifecycle = recordLifecycle(inbox);
      await inbox.start();
      const acknowledged: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const { answer, entityId } = await send();
        expect(answer.status).toBe(202);
        acknowledged.push(entityId);
      }

      proxy.cut();
      const refused: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const started = Date.now();
        const { answer, entityId } = await send();
        expect(answer.status, answer.body).toBe(503);
        expect(answer.headers["retry-after"]).toBeDefined();
        expect(JSON.parse(answer.body).error).toBe("STORE_FAILED");
        expect(Date.now() - started).toBeLessThan(3_000);
        refused.push(entityId);
      }
      expect(lifecycle.seen.filter((entry) => entry.name === "delivery:rejected").length).toBeGreaterThanOrEqual(5);

      proxy.restore();
      for (let i = 0; i < 5; i += 1) {
        const { answer, entityId } = await send();
        expect(answer.status).toBe(202);
        acknowledged.push(entityId);
      }
      await expectNothingLost(acknowledged);
      // The 503'd webhooks were never stored: the provider's resend is what brings them in.
      const page = await inbox.listEvents({ limit: 500 });
      for (const entityId of refused) expect(page.items.some((event) => event.entityId === entityId)).toBe(false);
    });

    it("the connection drops while a handler runs: the attempt's finish fails, the lease expires, the event is taken again and succeeds", async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const inHandler = new Promise<void>((resolve) => (entered = resolve));
      let calls = 0;
      build({
        leaseMs: 400,
        handler: async () => {
          calls += 1;
          if (calls === 1) {
            entered();
            await gate;
          }
        },
      });
      await inbox.start();
      const { answer, entityId } = await send();
      expect(answer.status).toBe(202);
      await inHandler;
      proxy.cut();
      release();
      await new Promise((resolve) => setTimeout(resolve, 300));
      proxy.restore();
      await expectNothingLost([entityId]);
      // At-least-once: the interrupted attempt ran the handler, the re-claim ran it again.
      expect(calls).toBeGreaterThanOrEqual(2);
      const [event] = (await inbox.listEvents({})).items;
      expect(event!.attemptsStarted).toBeGreaterThanOrEqual(2);
    });

    it("the server terminates the pool's backends mid-run: every receive is 202 or 503, and every 202 is processed", async () => {
      build();
      await inbox.start();
      const acknowledged: string[] = [];
      const statuses: number[] = [];
      for (let i = 0; i < 30; i += 1) {
        if (i % 10 === 5) {
          await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1", [applicationName]);
        }
        const { answer, entityId } = await send();
        statuses.push(answer.status);
        if (answer.status === 202) acknowledged.push(entityId);
      }
      expect(
        statuses.every((status) => status === 202 || status === 503),
        statuses.join(","),
      ).toBe(true);
      expect(acknowledged.length).toBeGreaterThan(20);
      await expectNothingLost(acknowledged);
    });
  });
}
