// Reconciliation's share of a tenant's rate windows: its own calls counted apart, so live webhooks keep the rest.
import type { ProviderLimits } from "../../contracts/provider-adapter.ts";
import { WindowLog } from "../window-log.ts";

/**
 * Each tenant window scaled by `share` (at least one call), counting only reconciliation's calls. A call
 * must fit here AND in the inbox's limiter (which counts every call, live or not), so reconciliation never
 * takes more than its share of any window. Kept in process: one instance reconciles a tenant at a time (the
 * store lease), so its count is the tenant's reconciliation count.
 */
export class BudgetShares {
  readonly #logs = new Map<string, WindowLog[]>();

  #logsOf(provider: string, limits: ProviderLimits, tenantId: string, share: number): WindowLog[] {
    const key = `${provider}\u0000${tenantId}`;
    let logs = this.#logs.get(key);
    if (!logs) {
      logs = limits.tenant.windows.map((window) => new WindowLog({ ...window, limit: Math.max(1, Math.floor(window.limit * share)) }));
      this.#logs.set(key, logs);
    }
    return logs;
  }

  /** When the next reconciliation call of this tenant fits its share (`now` when it does). */
  availableAt(provider: string, limits: ProviderLimits, tenantId: string, share: number, now: number): number {
    return this.#logsOf(provider, limits, tenantId, share).reduce((at, log) => Math.max(at, log.availableAt(now)), now);
  }

  /** Counts a call from its start; `end` dates it by its end, as the limiter does. */
  start(provider: string, limits: ProviderLimits, tenantId: string, share: number): (now: number) => void {
    const logs = this.#logsOf(provider, limits, tenantId, share);
    for (const log of logs) log.start();
    let ended = false;
    return (now) => {
      if (ended) return;
      ended = true;
      for (const log of logs) log.end(now);
    };
  }
}
