// Building the inbox's Reconciler from the processor's parts (none when no integration reconciles).
import type { Clock } from "../../clock.ts";
import type { InboxEventMap, Logger } from "../../events.ts";
import type { ResolvedOptions } from "../../options.ts";
import type { Mode } from "../../types.ts";
import type { CallLimiter } from "../call-limiter.ts";
import { BudgetShares } from "./budget-share.ts";
import type { Integration } from "../receive/receive-context.ts";
import { Reconciler } from "./reconciler.ts";

export interface ReconcilerParts {
  readonly options: ResolvedOptions;
  readonly clock: Clock;
  readonly limiter: CallLimiter;
  readonly logger: Logger;
  readonly workerId: string;
  readonly integrations: ReadonlyMap<string, Integration>;
  readonly effectiveMode: (id: string) => Mode;
  readonly signal: () => AbortSignal;
  readonly wake: () => void;
  readonly emit: <K extends keyof InboxEventMap>(name: K, payload: Parameters<InboxEventMap[K]>[0]) => void;
}

/** The Reconciler, or `null` when no integration has `reconcile` (the options check the store has `reconciliation` then). */
export function buildReconciler(parts: ReconcilerParts): Reconciler | null {
  const reconciliation = parts.options.store.reconciliation;
  if (!reconciliation || ![...parts.integrations.values()].some((integration) => integration.reconcile)) return null;
  return new Reconciler({
    store: parts.options.store,
    reconciliation,
    clock: parts.clock,
    limiter: parts.limiter,
    shares: new BudgetShares(),
    logger: parts.logger,
    workerId: parts.workerId,
    fetchTimeoutMs: parts.options.fetchTimeoutMs,
    maxAttempts: parts.options.maxAttempts,
    integration: (id) => parts.integrations.get(id),
    integrationIds: () => [...parts.integrations.keys()],
    effectiveMode: parts.effectiveMode,
    signal: parts.signal,
    wake: parts.wake,
    finished: (run) => parts.emit("reconcile:finished", { run }),
  });
}
