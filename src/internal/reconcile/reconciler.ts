// Reconciliation in one inbox: which tenants, when each is due (`reconcile.every`, or a deferred run's resumeAt), one run per tenant at a time.
import type { ReconcileRun } from "../../contracts/reconciliation-store.ts";
import { WebhookInboxError } from "../../errors.ts";
import type { ReconcileContext } from "./reconcile-context.ts";
import { reconcileTenant } from "./run-tenant.ts";

/** How long a tenant list is reused by the schedule before it is read again. */
const TENANTS_TTL_MS = 60_000;

export class Reconciler {
  readonly #ctx: ReconcileContext;
  /** Tenants whose events this instance processed, per integration with `reconcile`. */
  readonly #seen = new Map<string, Set<string>>();
  /** When each (integration, tenant) is next due on the schedule (ms). */
  readonly #nextAt = new Map<string, number>();
  readonly #running = new Set<string>();
  readonly #tenants = new Map<string, { at: number; ids: readonly string[] }>();

  constructor(ctx: ReconcileContext) {
    this.#ctx = ctx;
  }

  /** Remembers a tenant an event named, so a scheduled run covers it. Cheap: called for every claimed event. */
  noteTenant(integration: string, tenantId: string): void {
    if (!this.#ctx.integration(integration)?.reconcile) return;
    let seen = this.#seen.get(integration);
    if (!seen) this.#seen.set(integration, (seen = new Set()));
    seen.add(tenantId);
  }

  /**
   * Runs reconciliation now for one tenant, or for every tenant of the integration. A tenant another
   * instance (or another call) is reconciling is skipped. Resolves with the runs, each ended.
   */
  async reconcile(integration: string, tenantId: string | undefined, trigger: ReconcileRun["trigger"]): Promise<ReconcileRun[]> {
    const configured = this.#ctx.integration(integration);
    if (!configured) throw new WebhookInboxError("INTEGRATION_UNKNOWN", `unknown integration ${JSON.stringify(integration)}`, { status: 404 });
    if (!configured.reconcile) {
      throw new WebhookInboxError(
        "CONFIG_INVALID",
        `integration ${JSON.stringify(integration)} has no reconcile option: set integrations.${integration}.reconcile`,
        { status: 400 },
      );
    }
    const tenants = tenantId === undefined ? await this.#tenantsOf(integration, true) : [tenantId];
    const runs: ReconcileRun[] = [];
    for (const tenant of tenants) {
      const run = await this.#runOne(integration, tenant, trigger);
      if (run) runs.push(run);
    }
    return runs;
  }

  /** Runs what the schedule has due now (integrations with `reconcile.every`); errors are reported, never thrown. */
  async runDue(reportError: (error: unknown, message: string) => void): Promise<void> {
    const now = this.#ctx.clock.now().getTime();
    for (const integration of this.#scheduled()) {
      try {
        for (const tenantId of await this.#tenantsOf(integration, false)) {
          const key = `${integration}\u0000${tenantId}`;
          if (this.#running.has(key)) continue;
          if (!this.#nextAt.has(key)) this.#nextAt.set(key, await this.#firstDue(integration, tenantId));
          if (this.#nextAt.get(key)! > now) continue;
          await this.#runOne(integration, tenantId, "schedule");
        }
      } catch (error) {
        reportError(error, `scheduled reconciliation of "${integration}" failed`);
      }
    }
  }

  #scheduled(): string[] {
    const ids: string[] = [];
    for (const id of this.#ctx.integrationIds()) if (this.#ctx.integration(id)?.reconcile?.every !== undefined) ids.push(id);
    return ids;
  }

  async #runOne(integration: string, tenantId: string, trigger: ReconcileRun["trigger"]): Promise<ReconcileRun | null> {
    const key = `${integration}\u0000${tenantId}`;
    if (this.#running.has(key)) return null;
    this.#running.add(key);
    try {
      const run = await reconcileTenant(this.#ctx, integration, tenantId, trigger);
      const every = this.#ctx.integration(integration)?.reconcile?.every;
      const now = this.#ctx.clock.now().getTime();
      if (run?.status === "deferred" && run.resumeAt) this.#nextAt.set(key, run.resumeAt.getTime());
      else if (every !== undefined) this.#nextAt.set(key, now + every);
      if (run) this.#log(run);
      return run;
    } finally {
      this.#running.delete(key);
    }
  }

  /** When a tenant is first due in this process: from its newest run in the store (a restart keeps the rhythm). */
  async #firstDue(integration: string, tenantId: string): Promise<number> {
    const every = this.#ctx.integration(integration)?.reconcile?.every ?? 0;
    const [last] = await this.#ctx.reconciliation.listRuns({ integration, tenantId, limit: 1 });
    if (!last) return this.#ctx.clock.now().getTime();
    if (last.status === "deferred" && last.resumeAt) return last.resumeAt.getTime();
    // A run left `running` died with its process: due now, it repeats from the watermark.
    if (last.status === "running") return this.#ctx.clock.now().getTime();
    return last.startedAt.getTime() + every;
  }

  async #tenantsOf(integration: string, fresh: boolean): Promise<readonly string[]> {
    const now = this.#ctx.clock.now().getTime();
    const cached = this.#tenants.get(integration);
    const seen = [...(this.#seen.get(integration) ?? [])];
    if (!fresh && cached && now - cached.at < TENANTS_TTL_MS) return [...new Set([...cached.ids, ...seen])];
    const configured = this.#ctx.integration(integration)?.reconcile?.tenants;
    const listed = configured ? await configured() : await this.#ctx.reconciliation.listTenants({ integration });
    const ids = configured ? [...listed] : [...new Set([...listed, ...seen])];
    this.#tenants.set(integration, { at: now, ids });
    return ids;
  }

  #log(run: ReconcileRun): void {
    const context = {
      runId: run.id,
      integration: run.integration,
      tenantId: run.tenantId,
      found: run.found,
      alreadyApplied: run.alreadyApplied,
      new: run.new,
      calls: run.calls,
      notes: run.notes,
    };
    if (run.status === "failed") this.#ctx.logger.warn(`reconciliation failed: ${run.error}`, context);
    else
      this.#ctx.logger.info(
        `reconciliation ${run.status}: ${run.found} changes found, ${run.new} new (webhooks missed), ${run.alreadyApplied} already applied, ${run.calls} calls`,
        context,
      );
  }
}
