/** PostgresStore's reconciliation state: watermarks, the per-tenant lease and the run log (migration 2). */
import type { ReconcileRun, ReconcileRunFilter, ReconcileWatermark, ReconciliationStore } from "../../src/index.ts";
import { pageSize, reconcileRunFromJson, reconcileRunToJson } from "../../src/store-kit/index.ts";
import type { PgQueryable } from "./pg-like.ts";
import { toDate } from "./rows.ts";

type Run = <T>(method: string, fn: () => Promise<T>) => Promise<T>;

/** The {@link ReconciliationStore} of a PostgresStore: shared by every instance on the database. */
export class PostgresReconciliation implements ReconciliationStore {
  readonly #pool: PgQueryable;
  readonly #s: string;
  readonly #run: Run;

  /** `schema` is quoted already; `run` wraps driver failures as StoreError. */
  constructor(pool: PgQueryable, schema: string, run: Run) {
    this.#pool = pool;
    this.#s = schema;
    this.#run = run;
  }

  getWatermarks({ integration, tenantId }: { integration: string; tenantId: string }): Promise<ReconcileWatermark[]> {
    return this.#run("reconciliation.getWatermarks", async () => {
      const { rows } = await this.#pool.query(
        `select entity_type, changed_through from ${this.#s}.reconcile_watermarks where integration = $1 and tenant_id = $2 order by entity_type`,
        [integration, tenantId],
      );
      return (rows as { entity_type: string; changed_through: unknown }[]).map((row) => ({
        integration,
        tenantId,
        entityType: row.entity_type,
        changedThrough: toDate(row.changed_through),
      }));
    });
  }

  advanceWatermarks(watermarks: readonly ReconcileWatermark[]): Promise<void> {
    if (watermarks.length === 0) return Promise.resolve();
    return this.#run("reconciliation.advanceWatermarks", async () => {
      // One statement: every watermark moves forward together or none does.
      await this.#pool.query(
        `insert into ${this.#s}.reconcile_watermarks (integration, tenant_id, entity_type, changed_through)
         select * from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
         on conflict (integration, tenant_id, entity_type)
         do update set changed_through = greatest(${this.#s}.reconcile_watermarks.changed_through, excluded.changed_through)`,
        [
          watermarks.map((mark) => mark.integration),
          watermarks.map((mark) => mark.tenantId),
          watermarks.map((mark) => mark.entityType),
          watermarks.map((mark) => mark.changedThrough.toISOString()),
        ],
      );
    });
  }

  listTenants({ integration }: { integration: string }): Promise<string[]> {
    return this.#run("reconciliation.listTenants", async () => {
      const { rows } = await this.#pool.query(`select distinct tenant_id from ${this.#s}.reconcile_watermarks where integration = $1 order by tenant_id`, [
        integration,
      ]);
      return (rows as { tenant_id: string }[]).map((row) => row.tenant_id);
    });
  }

  acquireLease(input: { integration: string; tenantId: string; holder: string; now: Date; leaseMs: number }): Promise<boolean> {
    return this.#run("reconciliation.acquireLease", async () => {
      // Taken when free, expired or already ours; the row lock serialises instances racing for it.
      const { rows } = await this.#pool.query(
        `insert into ${this.#s}.reconcile_leases as lease (integration, tenant_id, holder, expires_at) values ($1, $2, $3, $4)
         on conflict (integration, tenant_id) do update set holder = excluded.holder, expires_at = excluded.expires_at
         where lease.holder = excluded.holder or lease.expires_at <= $5
         returning holder`,
        [input.integration, input.tenantId, input.holder, new Date(input.now.getTime() + input.leaseMs), input.now],
      );
      return rows.length === 1;
    });
  }

  releaseLease(input: { integration: string; tenantId: string; holder: string }): Promise<void> {
    return this.#run("reconciliation.releaseLease", async () => {
      await this.#pool.query(`delete from ${this.#s}.reconcile_leases where integration = $1 and tenant_id = $2 and holder = $3`, [
        input.integration,
        input.tenantId,
        input.holder,
      ]);
    });
  }

  saveRun(run: ReconcileRun): Promise<void> {
    return this.#run("reconciliation.saveRun", async () => {
      await this.#pool.query(
        `insert into ${this.#s}.reconcile_runs (id, integration, tenant_id, run) values ($1, $2, $3, $4::jsonb)
         on conflict (id) do update set run = excluded.run`,
        [run.id, run.integration, run.tenantId, reconcileRunToJson(run)],
      );
    });
  }

  listRuns(filter: ReconcileRunFilter): Promise<ReconcileRun[]> {
    return this.#run("reconciliation.listRuns", async () => {
      const where: string[] = [];
      const values: unknown[] = [];
      if (filter.integration !== undefined) {
        values.push(filter.integration);
        where.push(`integration = $${values.length}`);
      }
      if (filter.tenantId !== undefined) {
        values.push(filter.tenantId);
        where.push(`tenant_id = $${values.length}`);
      }
      values.push(pageSize(filter.limit));
      const { rows } = await this.#pool.query(
        `select run::text as run from ${this.#s}.reconcile_runs ${where.length ? `where ${where.join(" and ")}` : ""} order by id desc limit $${values.length}`,
        values,
      );
      return (rows as { run: string }[]).map((row) => reconcileRunFromJson(row.run));
    });
  }

  getRun(id: string): Promise<ReconcileRun | null> {
    return this.#run("reconciliation.getRun", async () => {
      const { rows } = await this.#pool.query(`select run::text as run from ${this.#s}.reconcile_runs where id = $1`, [id]);
      const row = rows[0] as { run: string } | undefined;
      return row ? reconcileRunFromJson(row.run) : null;
    });
  }
}
