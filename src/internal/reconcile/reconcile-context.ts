// What a reconciliation run needs from the processor that runs it.
import type { Clock } from "../../clock.ts";
import type { ReconcileRun, ReconciliationStore } from "../../contracts/reconciliation-store.ts";
import type { WebhookStore } from "../../contracts/webhook-store.ts";
import type { Logger } from "../../events.ts";
import type { Mode } from "../../types.ts";
import type { CallLimiter } from "../call-limiter.ts";
import type { BudgetShares } from "./budget-share.ts";
import type { Integration } from "../receive/receive-context.ts";

export interface ReconcileContext {
  readonly store: WebhookStore;
  readonly reconciliation: ReconciliationStore;
  readonly clock: Clock;
  readonly limiter: CallLimiter;
  /** Reconciliation's own calls against its budget share. */
  readonly shares: BudgetShares;
  readonly logger: Logger;
  /** Holder name of the tenant lease. */
  readonly workerId: string;
  readonly fetchTimeoutMs: number;
  /** The inbox-wide `maxAttempts` (an integration may override it). */
  readonly maxAttempts: number;
  readonly integration: (id: string) => Integration | undefined;
  readonly integrationIds: () => readonly string[];
  readonly effectiveMode: (id: string) => Mode;
  /** Aborted by stop(). */
  readonly signal: () => AbortSignal;
  /** Events were stored: wake the scheduler if it runs. */
  readonly wake: () => void;
  readonly finished: (run: ReconcileRun) => void;
}
