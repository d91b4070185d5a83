// Running passes: claim due work by entity group, process it in a traced pass, then the housekeeping
// that follows a pass (retention, due reconciliations) and what is due next.
import type { Clock } from "../../clock.ts";
import type { InstrumentationScope, PassStart } from "../../contracts/instrumentation.ts";
import type { EntityGroup, WebhookStore } from "../../contracts/webhook-store.ts";
import type { Logger } from "../../events.ts";
import type { ResolvedOptions } from "../../options.ts";
import type { PassOutcome } from "../../run-due.ts";
import type { ClaimedEvent } from "../../contracts/webhook-store.ts";
import type { CallLimiter } from "../call-limiter.ts";
import type { Emit } from "../emit.ts";
import type { Integration } from "../receive/receive-context.ts";
import type { Reconciler } from "../reconcile/reconciler.ts";
import type { Retention } from "../retention.ts";
import { rootTelemetry, scopedEmit } from "../telemetry.ts";
import { buildPassContext } from "./build-pass-context.ts";
import { eventContext } from "./log-outcome.ts";
import type { PassContext } from "./pass-context.ts";
import { processClaimed } from "./process-claimed.ts";
import { tracedPass } from "./traced-pass.ts";

export interface PassRunnerSources {
  readonly options: ResolvedOptions;
  readonly store: WebhookStore;
  readonly clock: Clock;
  readonly limiter: CallLimiter;
  readonly logger: Logger;
  readonly workerId: string;
  readonly integrations: ReadonlyMap<string, Integration>;
  readonly retryDelay: PassContext["retryDelay"];
  readonly handlerFor: PassContext["handlerFor"];
  readonly retention: Retention;
  readonly reconciler: Reconciler | null;
  /** The signal of the current run (replaced at each start()). */
  readonly signal: () => AbortSignal;
  readonly emit: Emit;
  readonly reportError: (error: unknown, message: string) => void;
}

export class PassRunner {
  readonly #s: PassRunnerSources;

  constructor(sources: PassRunnerSources) {
    this.#s = sources;
  }

  /** One pass: claim due events, process them in batches, report when more is due. */
  async pass(origin: PassStart["origin"]): Promise<PassOutcome> {
    const { options, store, clock, workerId, logger, reconciler } = this.#s;
    const limit = options.claimBatchSize;
    const startedAt = clock.now();
    // Whole entity groups in whole provider batches: K due entities of a type cost ceil(K / maxBatchSize) calls.
    const groups = { batchSize: (group: EntityGroup) => this.#s.integrations.get(group.integration)?.provider.maxBatchSize(group.entityType) ?? 1 };
    const { events, poisoned } = await store.claimDue({ now: startedAt, limit, leaseMs: options.leaseMs, workerId, groups });
    const start = { origin, workerId, startedAt, claimed: events.length, poisoned: poisoned.length };
    await tracedPass(options.instrumentation, start, async (scope) => {
      const ctx = this.context(scope);
      for (const event of poisoned) {
        const error = event.lastError ?? "attempts interrupted";
        logger.error(
          `event failed, its attempts were interrupted ${event.attemptsStarted - event.attemptsFinished} time(s) (a worker died or lost its lease mid-attempt): ${error}`,
          eventContext(event),
        );
        ctx.emit("event:exhausted", { event, error });
      }
      for (const event of events) reconciler?.noteTenant(event.integration, event.tenantId);
      await processClaimed(ctx, events);
    });
    await this.#s.retention.pruneWhenDue();
    await reconciler?.runDue(this.#s.reportError);
    const claimed = events.length + poisoned.length;
    const more = claimed >= limit;
    return { claimed, more, nextDueAt: more ? null : await store.nextDueAt({ now: clock.now() }) };
  }

  /** Processes events an operator's retry claimed, as one traced `manual` pass. */
  async runManual(events: readonly ClaimedEvent[], startedAt: Date): Promise<void> {
    const start = { origin: "manual" as const, workerId: this.#s.workerId, startedAt, claimed: events.length, poisoned: 0 };
    await tracedPass(this.#s.options.instrumentation, start, (scope) => processClaimed(this.context(scope), events));
  }

  /** A pass's context; within an instrumented pass, its lifecycle events also reach the pass's scope. */
  context(scope: InstrumentationScope | undefined): PassContext {
    const s = this.#s;
    const emit = scope ? scopedEmit(s.emit, scope) : s.emit;
    const root = rootTelemetry(s.options.instrumentation);
    return buildPassContext({
      options: s.options,
      store: s.store,
      clock: s.clock,
      limiter: s.limiter,
      logger: s.logger,
      providerFor: (integration: string) => s.integrations.get(integration)?.provider,
      handlerFor: s.handlerFor,
      retryDelay: s.retryDelay,
      signal: s.signal(),
      emit,
      telemetry: root && { ...root, scope },
    });
  }
}
