// The `retention` option: prune finished events at most once per interval, from the processing passes.
import type { Clock } from "../clock.ts";
import type { WebhookStore } from "../contracts/webhook-store.ts";
import type { Logger } from "../events.ts";
import type { ResolvedOptions } from "../options.ts";

export class Retention {
  #lastPruneAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: WebhookStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly retention: ResolvedOptions["retention"],
  ) {}

  /** Prunes events finished more than `maxAgeMs` ago when `intervalMs` has passed since the last prune. */
  async pruneWhenDue(): Promise<void> {
    const now = this.clock.now().getTime();
    if (!this.retention || now - this.#lastPruneAt < this.retention.intervalMs) return;
    this.#lastPruneAt = now;
    const removed = await this.store.prune({ olderThan: new Date(now - this.retention.maxAgeMs) });
    if (removed > 0) this.logger.info(`retention removed ${removed} finished event(s)`);
  }
}
