/**
 * PostgreSQL partitioned away (packets dropped, not refused): a loopback TCP proxy in front of the
 * database stops forwarding bytes without closing anything, so no error ever arrives. `receive()`
 * must still answer 503 + Retry-After (bounded by `receiveTimeoutMs`, not by the partition), recover
 * once the network heals, and the pool's server-side timeouts must reach the server.
 */
import { randomBytes } from "node:crypto";
import { type AddressInfo, type Socket, connect as tcpConnect, createServer } from "node:net";
import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type WebhookProcessor, createWebhookInbox } from "webhook-inbox";
import { DEFAULT_RECEIVE_TIMEOUT_MS, PostgresStore } from "webhook-inbox/postgres";
import { TestApi, testProvider, testWebhook } from "webhook-inbox/testing";

const url = process.env.DATABASE_URL;
const SECRET = "partition-secret";
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A TCP proxy whose `partition()` silently discards every byte both ways (connections stay open). */
async function startBlackholeProxy(host: string, port: number) {
  let partitioned = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = tcpConnect(port, host);
    sockets.add(client).add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
    client.on("data", (chunk: Buffer) => {
      if (!partitioned) upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!partitioned) client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    partition: () => void (partitioned = true),
    heal: () => void (partitioned = false),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (!url) {
  describe.skip("PostgreSQL partition (skipped: set DATABASE_URL to run)", () => {
    it("needs PostgreSQL", () => {});
  });
} else {
  const target = new URL(url);
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  const schemas: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });
  afterAll(async () => {
    for (const schema of schemas) await admin.query(`drop schema if exists "${schema}" cascade`);
    await admin.end();
  });

  const newSchema = () => {
    const schema = `wi_part_${randomBytes(5).toString("hex")}`;
    schemas.push(schema);
    return schema;
  };

  const proxiedUrl = (port: number) => {
    const proxied = new URL(url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(port);
    return proxied.toString();
  };

  /** The error a store method reported (a pass caught by the same fault may report first). */
  function reportedBy(errors: unknown[], method: string): (Error & { cause?: unknown }) | undefined {
    return errors.map((error) => (error as { error: Error & { cause?: unknown } }).error).find((error) => error.message.includes(method));
  }

  function inboxOn(store: PostgresStore): { inbox: WebhookProcessor; errors: unknown[]; send: (n: number) => Promise<number> } {
    const inbox = createWebhookInbox({
      store,
      integrations: { acme: { provider: testProvider({ secret: SECRET, api: new TestApi() }), mode: "immediate" } },
      handler: async () => {},
      logger: silent,
    });
    const errors: unknown[] = [];
    inbox.on("error", (error) => errors.push(error));
    const send = async (n: number): Promise<number> => {
      const { body, headers } = testWebhook(
        SECRET,
        [{ tenantId: "t1", entityType: "invoice", entityId: `e${n}`, occurredAt: new Date().toISOString() }],
        `d${n}-${randomBytes(3).toString("hex")}`,
      );
      const answer = await inbox.receive({ integration: "acme", rawBody: Buffer.from(body), headers });
      if (answer.status === 503) {
        expect(answer.headers["retry-after"]).toMatch(/^\d+$/);
        expect(JSON.parse(answer.body).error).toBe("STORE_FAILED");
      }
      return answer.status;
    };
    return { inbox, errors, send };
  }

  describe("PostgresStore when the database is partitioned away", () => {
    it("the store's own pool: receives answer 503 + Retry-After during the partition and 202 again after it heals", async () => {
      const proxy = await startBlackholeProxy(target.hostname, Number(target.port || 5432));
      cleanups.push(() => proxy.close());
      const store = new PostgresStore({
        connectionString: proxiedUrl(proxy.port),
        schema: newSchema(),
        receiveTimeoutMs: 300,
        connectTimeoutMs: 500,
        statementTimeoutMs: 500,
      });
      cleanups.push(() => store.close());
      const { inbox, send } = inboxOn(store);
      await inbox.start();
      cleanups.push(() => inbox.stop());
      expect(await send(1)).toBe(202);

      proxy.partition();
      // Concurrent receives (pooled connections stuck mid-query, new ones stuck in the handshake): all answered.
      const during = await Promise.all([2, 3, 4, 5, 6, 7].map((n) => send(n)));
      expect(during).toEqual([503, 503, 503, 503, 503, 503]);
      // Still partitioned: later receives are answered too, not queued behind the stuck ones forever.
      expect(await send(8)).toBe(503);

      proxy.heal();
      let status = 0;
      for (let n = 9; status !== 202 && n < 200; n += 1) {
        status = await send(n);
        if (status !== 202) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status).toBe(202);
    });

    it("a host's pool with the README's settings and the default receiveTimeoutMs: a partition is answered 503 before any pool timeout", async () => {
      expect(DEFAULT_RECEIVE_TIMEOUT_MS).toBeLessThanOrEqual(5_000);
      const proxy = await startBlackholeProxy(target.hostname, Number(target.port || 5432));
      const pool = new pg.Pool({
        connectionString: proxiedUrl(proxy.port),
        connectionTimeoutMillis: 5_000,
        statement_timeout: 30_000,
        query_timeout: 31_000,
        idle_in_transaction_session_timeout: 60_000,
        keepAlive: true,
      });
      pool.on("error", () => {});
      const store = new PostgresStore({ pool, schema: newSchema() });
      const { inbox, errors, send } = inboxOn(store);
      await inbox.start();
      // Run last to first: the proxy closes first, failing the queries the partition left hanging, so
      // the pass waiting on them (and stop() waiting on the pass) ends.
      cleanups.push(
        () => pool.end(),
        () => inbox.stop(),
        () => proxy.close(),
      );
      expect(await send(1)).toBe(202);
      proxy.partition();
      expect(await send(2)).toBe(503);
      // The store's deadline answered, not the pool's 31 s query timeout. (A pass the partition caught
      // may report its own failure first: the receive's is looked for among all of them.)
      expect(reportedBy(errors, "insertDelivery")?.message, errors.map((error) => (error as { error: Error }).error.message).join(" | ")).toMatch(
        /within 5000 ms \(receiveTimeoutMs\)/,
      );
    });

    it("the store's pool sets statement_timeout on the server: a statement stuck behind a lock is cancelled and answered 503", async () => {
      const schema = newSchema();
      const store = new PostgresStore({ connectionString: url, schema, statementTimeoutMs: 200, receiveTimeoutMs: 60_000 });
      cleanups.push(() => store.close());
      const { inbox, errors, send } = inboxOn(store);
      await inbox.start();
      cleanups.push(() => inbox.stop());
      const locker = await admin.connect();
      try {
        await locker.query("begin");
        await locker.query(`lock table "${schema}".deliveries in access exclusive mode`);
        expect(await send(1)).toBe(503);
      } finally {
        await locker.query("rollback");
        locker.release();
      }
      expect(String(reportedBy(errors, "insertDelivery")?.cause)).toMatch(/statement timeout/);
      expect(await send(2)).toBe(202);
    });

    it("the store's pool sets idle_in_transaction_session_timeout: a transaction left idle is ended by the server", async () => {
      const store = new PostgresStore({ connectionString: url, schema: newSchema(), idleInTransactionTimeoutMs: 100 });
      cleanups.push(() => store.close());
      await store.migrate();
      await expect(
        store.transaction(async (client) => {
          await new Promise((resolve) => setTimeout(resolve, 600));
          await (client as pg.PoolClient).query("select 1");
        }),
      ).rejects.toThrow();
      // The broken client was destroyed, not returned: the store keeps working.
      expect(await store.nextDueAt()).toBeNull();
    });
  });
}
