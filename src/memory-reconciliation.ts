// MemoryStore's reconciliation state: watermarks, leases and runs held in process memory.
import type { ReconcileRun, ReconcileRunFilter, ReconcileWatermark, ReconciliationStore } from "./contracts/reconciliation-store.ts";
import { pageSize } from "./filters.ts";

const key = (integration: string, tenantId: string) => `${integration}\u0000${tenantId}`;

/** The in-memory {@link ReconciliationStore} of `MemoryStore`. */
export class MemoryReconciliation implements ReconciliationStore {
  readonly #watermarks = new Map<string, ReconcileWatermark>();
  readonly #leases = new Map<string, { holder: string; expiresAt: number }>();
  readonly #runs = new Map<string, ReconcileRun>();

  async getWatermarks({ integration, tenantId }: { integration: string; tenantId: string }): Promise<ReconcileWatermark[]> {
    return [...this.#watermarks.values()]
      .filter((mark) => mark.integration === integration && mark.tenantId === tenantId)
      .sort((a, b) => (a.entityType < b.entityType ? -1 : a.entityType > b.entityType ? 1 : 0))
      .map((mark) => ({ ...mark }));
  }

  async advanceWatermarks(watermarks: readonly ReconcileWatermark[]): Promise<void> {
    for (const mark of watermarks) {
      const id = `${key(mark.integration, mark.tenantId)}\u0000${mark.entityType}`;
      const current = this.#watermarks.get(id);
      if (!current || current.changedThrough < mark.changedThrough) this.#watermarks.set(id, { ...mark });
    }
  }

  async listTenants({ integration }: { integration: string }): Promise<string[]> {
    const tenants = new Set<string>();
    for (const mark of this.#watermarks.values()) if (mark.integration === integration) tenants.add(mark.tenantId);
    return [...tenants].sort();
  }

  async acquireLease(input: { integration: string; tenantId: string; holder: string; now: Date; leaseMs: number }): Promise<boolean> {
    const id = key(input.integration, input.tenantId);
    const lease = this.#leases.get(id);
    const now = input.now.getTime();
    if (lease && lease.holder !== input.holder && lease.expiresAt > now) return false;
    this.#leases.set(id, { holder: input.holder, expiresAt: now + input.leaseMs });
    return true;
  }

  async releaseLease(input: { integration: string; tenantId: string; holder: string }): Promise<void> {
    const id = key(input.integration, input.tenantId);
    if (this.#leases.get(id)?.holder === input.holder) this.#leases.delete(id);
  }

  async saveRun(run: ReconcileRun): Promise<void> {
    this.#runs.set(run.id, structuredClone(run));
  }

  async listRuns(filter: ReconcileRunFilter): Promise<ReconcileRun[]> {
    return [...this.#runs.values()]
      .filter(
        (run) =>
          (filter.integration === undefined || run.integration === filter.integration) && (filter.tenantId === undefined || run.tenantId === filter.tenantId),
      )
      .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, pageSize(filter.limit))
      .map((run) => structuredClone(run));
  }

  async getRun(id: string): Promise<ReconcileRun | null> {
    const run = this.#runs.get(id);
    return run ? structuredClone(run) : null;
  }
}
