// An operator's actions on the log: retry one event now, re-queue many, re-process a delivery.
import type { Clock } from "../clock.ts";
import type { WebhookStore } from "../contracts/webhook-store.ts";
import type { ResolvedOptions } from "../options.ts";
import type { DeliveryRecord, EventFilter, Mode } from "../types.ts";
import type { PassRunner } from "./pass/pass-runner.ts";
import type { Integration } from "./receive/receive-context.ts";
import { reprocessDelivery } from "./reprocess-delivery.ts";
import { refuseRetry } from "./retry-refusal.ts";

export interface OperatorActionSources {
  readonly options: ResolvedOptions;
  readonly store: WebhookStore;
  readonly clock: Clock;
  readonly workerId: string;
  readonly passes: PassRunner;
  readonly integration: (id: string) => Integration;
  readonly effectiveMode: (id: string) => Mode;
  /** Wakes the scheduler when the inbox is started. */
  readonly wake: () => void;
}

export class OperatorActions {
  readonly #s: OperatorActionSources;

  constructor(sources: OperatorActionSources) {
    this.#s = sources;
  }

  /** Re-queues one event and runs it at once as a `manual` attempt (a refusal throws, saying why). */
  async retryNow(id: string): Promise<void> {
    const { store, clock, options, workerId } = this.#s;
    const now = clock.now();
    const requeued = await store.requeue({ now, ids: [id] });
    if (requeued.length === 0) await refuseRetry(store, id);
    const { events } = await store.claimDue({ now, limit: 1, leaseMs: options.leaseMs, workerId, ids: [id] });
    await this.#s.passes.runManual(events, now);
  }

  /** Re-queues many events (by ids or by filter) for the scheduler; returns the ids re-queued. */
  async requeueMany(selection: readonly string[] | EventFilter): Promise<string[]> {
    const { store, clock } = this.#s;
    const now = clock.now();
    const requeued = Array.isArray(selection)
      ? await store.requeue({ now, ids: selection as readonly string[] })
      : await store.requeue({ now, filter: selection as EventFilter });
    if (requeued.length > 0) this.#s.wake();
    return requeued;
  }

  /** Queues a re-processable delivery's events (see `WebhookProcessor.reprocessDelivery`). */
  async reprocess(id: string): Promise<DeliveryRecord> {
    const { store, clock, options } = this.#s;
    const delivery = await reprocessDelivery(
      {
        store,
        clock,
        maxAttempts: options.maxAttempts,
        futureOccurredAtToleranceMs: options.futureOccurredAtToleranceMs,
        integration: this.#s.integration,
        effectiveMode: this.#s.effectiveMode,
      },
      id,
    );
    this.#s.wake();
    return delivery;
  }
}
