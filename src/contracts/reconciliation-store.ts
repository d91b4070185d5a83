// The reconciliation store: per-tenant "changed through" watermarks, the run log and the one-reconciler lease.

/** How far one entity type of one tenant has been reconciled: every change up to `changedThrough` is stored as an event. */
export interface ReconcileWatermark {
  readonly integration: string;
  readonly tenantId: string;
  readonly entityType: string;
  /** Provider changes up to this time are in the store (the end of the last completed window). */
  readonly changedThrough: Date;
}

/** How one window was asked: QuickBooks CDC, QuickBooks query (watermark older than CDC's 30 days), Xero If-Modified-Since. */
export type ReconcilePath = "cdc" | "query" | "modified-since";

/** One entity type's window in a run. */
export interface ReconcileWindow {
  readonly entityType: string;
  readonly from: Date;
  readonly to: Date;
  readonly path: ReconcilePath;
  /** Changes the provider reported in this window. */
  readonly found: number;
  /** Provider calls this window took (window splits and pages included). */
  readonly calls: number;
}

/** A reconciliation run as the log and the dashboard show it. */
export interface ReconcileRun {
  /** Time-ordered id (UUIDv7). */
  readonly id: string;
  readonly integration: string;
  readonly tenantId: string;
  /** What started it: the schedule (`reconcile.every`) or a call (`inbox.reconcile`, the admin API). */
  readonly trigger: "schedule" | "manual";
  readonly startedAt: Date;
  readonly endedAt: Date | null;
  /**
   * `running` until it ends; `succeeded`: every window complete; `deferred`: the budget share (or a
   * provider throttle) said wait, what was listed is stored and the rest resumes at `resumeAt`; `failed`:
   * a provider call or the store failed (watermarks moved only over what was stored).
   */
  readonly status: "running" | "succeeded" | "deferred" | "failed";
  /** `deferred`: when the budget allows the next call. */
  readonly resumeAt: Date | null;
  /**
   * `deferred`: where the next run of this tenant picks the unfinished window up (the provider's cursor, JSON),
   * so a window that needs more calls than one share of a rate window still completes.
   */
  readonly resume?: { readonly entityType: string; readonly since: string; readonly until: string; readonly cursor: unknown } | null;
  readonly windows: readonly ReconcileWindow[];
  /** Changes the provider reported. */
  readonly found: number;
  /** Of those, changes the inbox had already applied (their event becomes `stale`). */
  readonly alreadyApplied: number;
  /** Changes the inbox had not applied: webhooks that never arrived (or have not been processed yet). */
  readonly new: number;
  /** Provider calls spent. */
  readonly calls: number;
  /** The deliveries holding the events it created (one per provider answer with changes). */
  readonly deliveryIds: readonly string[];
  /** What the log should say: window splits, the query path, entity types the provider cannot reconcile. */
  readonly notes: readonly string[];
  readonly error: string | null;
}

/** Filters for the run log. */
export interface ReconcileRunFilter {
  readonly integration?: string;
  readonly tenantId?: string;
  /** @default 50 */
  readonly limit?: number;
}

/**
 * What reconciliation needs from a store (`WebhookStore.reconciliation`; optional in the contract, implemented
 * by MemoryStore, SqliteStore and PostgresStore, and covered by the conformance suite). Stores never read a clock.
 */
export interface ReconciliationStore {
  /** The tenant's watermarks, one per entity type reconciled so far. */
  getWatermarks(input: { readonly integration: string; readonly tenantId: string }): Promise<ReconcileWatermark[]>;
  /** Moves each watermark forward (a `changedThrough` older than the stored one changes nothing). */
  advanceWatermarks(watermarks: readonly ReconcileWatermark[]): Promise<void>;
  /** Tenants of `integration` that have a watermark. */
  listTenants(input: { readonly integration: string }): Promise<string[]>;
  /**
   * Takes the tenant's reconciliation lease for `holder` until `now + leaseMs` when it is free, expired or
   * already `holder`'s. True when `holder` holds it afterwards: one instance reconciles a tenant at a time.
   */
  acquireLease(input: {
    readonly integration: string;
    readonly tenantId: string;
    readonly holder: string;
    readonly now: Date;
    readonly leaseMs: number;
  }): Promise<boolean>;
  /** Frees the lease when `holder` holds it. */
  releaseLease(input: { readonly integration: string; readonly tenantId: string; readonly holder: string }): Promise<void>;
  /** Inserts or replaces a run (by id). */
  saveRun(run: ReconcileRun): Promise<void>;
  /** Newest first. */
  listRuns(filter: ReconcileRunFilter): Promise<ReconcileRun[]>;
  getRun(id: string): Promise<ReconcileRun | null>;
}
