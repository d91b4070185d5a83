import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { NewDelivery, NewEvent } from "webhook-inbox";
import { createId } from "webhook-inbox/store-kit";
import { PostgresStore } from "webhook-inbox/postgres";
import { type Child, spawnFixture } from "./fixtures/child-process.ts";

const url = process.env.DATABASE_URL;
const WORKERS = 4;
const DELIVERIES = 100;
const EVENTS_PER_DELIVERY = 100;
const TOTAL = DELIVERIES * EVENTS_PER_DELIVERY;

if (!url) {
  describe.skip("PostgresStore multi-worker drain (skipped: set DATABASE_URL to run)", () => {
    it("needs PostgreSQL", () => {});
  });
} else {
  describe("PostgresStore: 4 worker processes drain one queue", () => {
    const schema = `wi_workers_${randomBytes(5).toString("hex")}`;
    const admin = new pg.Pool({ connectionString: url, max: 4 });
    const children: Child[] = [];
    afterAll(async () => {
      for (const child of children) if (child.process.exitCode === null) child.process.kill("SIGKILL");
      await admin.query(`drop schema if exists "${schema}" cascade`);
      await admin.end();
    });

    it(`completes each of ${TOTAL} events exactly once, loses none, and every worker takes a share`, { timeout: 60_000 }, async () => {
      const store = new PostgresStore({ pool: admin, schema });
      await store.migrate();
      // Due a second ago by the workers' real clock; deleted entities need no provider download.
      const due = new Date(Date.now() - 1_000);
      const ids: string[] = [];
      await Promise.all(
        Array.from({ length: DELIVERIES }, async (_, d) => {
          const delivery: NewDelivery = {
            id: createId(),
            integration: "acme",
            provider: "test",
            tenantIds: [`tenant-${d % 10}`],
            receivedAt: due,
            headers: {},
            rawBody: new TextEncoder().encode(`{"delivery":${d}}`),
            dedupeKey: `delivery-${d}`,
            status: "accepted",
            reason: null,
            response: null,
          };
          const events: NewEvent[] = Array.from({ length: EVENTS_PER_DELIVERY }, (_, i) => ({
            id: createId(),
            deliveryId: delivery.id,
            integration: "acme",
            provider: "test",
            tenantId: `tenant-${d % 10}`,
            entityType: "invoice",
            entityId: `inv-${d}-${i}`,
            operation: "delete",
            deleted: true,
            occurredAt: due,
            receivedAt: due,
            mode: "delayed",
            status: "queued",
            maxAttempts: 3,
            nextAttemptAt: due,
            nextTrigger: "scheduler",
            payload: { d, i },
          }));
          ids.push(...events.map((event) => event.id));
          expect(await store.insertDelivery({ delivery, events })).toEqual({ status: "inserted", deliveryId: delivery.id });
        }),
      );
      await store.close();

      for (let w = 0; w < WORKERS; w += 1) {
        children.push(spawnFixture("drain-worker.ts", { DATABASE_URL: url, SCHEMA: schema, WORKER_ID: `worker-${w}` }));
      }
      await Promise.all(children.map((child) => child.next((message) => message.ready === true)));
      const started = Date.now();
      for (const child of children) child.process.stdin!.write("go\n");
      const reports = await Promise.all(children.map((child) => child.next<{ workerId: string; handled: string[] }>((message) => message.done === true)));
      const elapsedMs = Date.now() - started;
      const exits = await Promise.all(children.map((child) => child.exited));
      expect(exits.every((exit) => exit.code === 0)).toBe(true);

      // Handler calls: every event once, across all workers.
      const handled = reports.flatMap((report) => report.handled);
      expect(handled).toHaveLength(TOTAL);
      expect(new Set(handled).size).toBe(TOTAL);
      expect([...handled].sort()).toEqual([...ids].sort());
      // Every worker took a share.
      const shares = reports.map((report) => report.handled.length);
      for (const share of shares) expect(share).toBeGreaterThan(0);

      // The database agrees: one succeeded attempt per event, one claim each, nothing open.
      const { rows: statuses } = await admin.query(
        `select status, attempts_started, attempts_finished, count(*)::int as n from "${schema}".events group by 1, 2, 3`,
      );
      expect(statuses).toEqual([{ status: "succeeded", attempts_started: 1, attempts_finished: 1, n: TOTAL }]);
      const { rows: attempts } = await admin.query(
        `select count(*)::int as n, count(distinct event_id)::int as events, count(*) filter (where outcome <> 'succeeded')::int as other
         from "${schema}".attempts`,
      );
      expect(attempts).toEqual([{ n: TOTAL, events: TOTAL, other: 0 }]);
      console.info(
        `[multi-worker] ${TOTAL} events drained by ${WORKERS} processes in ${elapsedMs} ms ` +
          `(${Math.round((TOTAL / elapsedMs) * 1000)} events/s); shares ${shares.join(", ")}`,
      );
    });
  });
}
