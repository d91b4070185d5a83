/** SqliteStore's reconciliation state: watermarks, the per-tenant lease and the run log (tables of migration 3). */
import type { ReconcileRun, ReconcileRunFilter, ReconcileWatermark, ReconciliationStore } from "../../src/index.ts";
import { pageSize, reconcileRunFromJson, reconcileRunToJson } from "../../src/store-kit/index.ts";
import type { SqliteConnection } from "./connection.ts";

const ADVANCE = `INSERT INTO reconcile_watermarks (integration, tenant_id, entity_type, changed_through) VALUES (?, ?, ?, ?)
  ON CONFLICT (integration, tenant_id, entity_type) DO UPDATE SET changed_through = MAX(changed_through, excluded.changed_through)`;
// Taken when free, expired or already ours; the row then names the holder.
const ACQUIRE = `INSERT INTO reconcile_leases (integration, tenant_id, holder, expires_at) VALUES (@integration, @tenant_id, @holder, @expires_at)
  ON CONFLICT (integration, tenant_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
  WHERE reconcile_leases.holder = excluded.holder OR reconcile_leases.expires_at <= @now`;

/** The {@link ReconciliationStore} of a SqliteStore, on the store's own connection. */
export class SqliteReconciliation implements ReconciliationStore {
  constructor(private readonly connection: SqliteConnection) {}

  getWatermarks({ integration, tenantId }: { integration: string; tenantId: string }): Promise<ReconcileWatermark[]> {
    return this.connection.run("reconciliation.getWatermarks", (_db, sql) => {
      const rows = sql("SELECT entity_type, changed_through FROM reconcile_watermarks WHERE integration = ? AND tenant_id = ? ORDER BY entity_type").all(
        integration,
        tenantId,
      ) as { entity_type: string; changed_through: number }[];
      return rows.map((row) => ({ integration, tenantId, entityType: row.entity_type, changedThrough: new Date(row.changed_through) }));
    });
  }

  advanceWatermarks(watermarks: readonly ReconcileWatermark[]): Promise<void> {
    return this.connection.run("reconciliation.advanceWatermarks", (db, sql) => {
      const upsert = sql(ADVANCE);
      db.transaction(() => {
        for (const mark of watermarks) upsert.run(mark.integration, mark.tenantId, mark.entityType, mark.changedThrough.getTime());
      }).immediate();
    });
  }

  listTenants({ integration }: { integration: string }): Promise<string[]> {
    return this.connection.run("reconciliation.listTenants", (_db, sql) =>
      (sql("SELECT DISTINCT tenant_id FROM reconcile_watermarks WHERE integration = ? ORDER BY tenant_id").all(integration) as { tenant_id: string }[]).map(
        (row) => row.tenant_id,
      ),
    );
  }

  acquireLease(input: { integration: string; tenantId: string; holder: string; now: Date; leaseMs: number }): Promise<boolean> {
    return this.connection.run("reconciliation.acquireLease", (_db, sql) => {
      const now = input.now.getTime();
      sql(ACQUIRE).run({ integration: input.integration, tenant_id: input.tenantId, holder: input.holder, expires_at: now + input.leaseMs, now });
      const row = sql("SELECT holder FROM reconcile_leases WHERE integration = ? AND tenant_id = ?").get(input.integration, input.tenantId) as
        | { holder: string }
        | undefined;
      return row?.holder === input.holder;
    });
  }

  releaseLease(input: { integration: string; tenantId: string; holder: string }): Promise<void> {
    return this.connection.run("reconciliation.releaseLease", (_db, sql) => {
      sql("DELETE FROM reconcile_leases WHERE integration = ? AND tenant_id = ? AND holder = ?").run(input.integration, input.tenantId, input.holder);
    });
  }

  saveRun(run: ReconcileRun): Promise<void> {
    return this.connection.run("reconciliation.saveRun", (_db, sql) => {
      sql("INSERT INTO reconcile_runs (id, integration, tenant_id, run) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET run = excluded.run").run(
        run.id,
        run.integration,
        run.tenantId,
        reconcileRunToJson(run),
      );
    });
  }

  listRuns(filter: ReconcileRunFilter): Promise<ReconcileRun[]> {
    return this.connection.run("reconciliation.listRuns", (_db, sql) => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.integration !== undefined) {
        where.push("integration = ?");
        params.push(filter.integration);
      }
      if (filter.tenantId !== undefined) {
        where.push("tenant_id = ?");
        params.push(filter.tenantId);
      }
      const text = `SELECT run FROM reconcile_runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
      return (sql(text).all(...params, pageSize(filter.limit)) as { run: string }[]).map((row) => reconcileRunFromJson(row.run));
    });
  }

  getRun(id: string): Promise<ReconcileRun | null> {
    return this.connection.run("reconciliation.getRun", (_db, sql) => {
      const row = sql("SELECT run FROM reconcile_runs WHERE id = ?").get(id) as { run: string } | undefined;
      return row ? reconcileRunFromJson(row.run) : null;
    });
  }
}
