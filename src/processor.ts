// The inbox's facade: lifecycle, lifecycle events, settings, operator actions and queries over the store.
import { hostname } from "node:os";
import { type Clock, systemClock } from "./clock.ts";
import type { Scheduler } from "./contracts/scheduler.ts";
import type { WebhookStore } from "./contracts/webhook-store.ts";
import { WebhookInboxError } from "./errors.ts";
import { type InboxEventMap, type Logger, guardLogger } from "./events.ts";
import { createId } from "./ids.ts";
import { levelledLogger } from "./log-level.ts";
import { backoffDelay } from "./internal/backoff.ts";
import type { Emit } from "./internal/emit.ts";
import { lookupHandler } from "./internal/handler-lookup.ts";
import { LifecycleEvents } from "./internal/lifecycle-events.ts";
import { IntegrationSettings } from "./internal/integration-settings.ts";
import { PassRunner } from "./internal/pass/pass-runner.ts";
import { attachInstrumentation } from "./internal/pass/traced-pass.ts";
import type { CallLimiter } from "./internal/call-limiter.ts";
import type { RateLimitSnapshot } from "./internal/rate-limiter.ts";
import { createCallLimiter } from "./internal/create-call-limiter.ts";
import { OperatorActions } from "./internal/operator-actions.ts";
import { Retention } from "./internal/retention.ts";
import { buildReconciler } from "./internal/reconcile/build-reconciler.ts";
import type { Reconciler } from "./internal/reconcile/reconciler.ts";
import type { ReconcileRun, ReconcileRunFilter } from "./contracts/reconciliation-store.ts";
import { stopController } from "./internal/stop-controller.ts";
import { answer } from "./internal/receive/answer.ts";
import { buildReceiveContext } from "./internal/receive/build-receive-context.ts";
import type { Integration, ReceiveContext } from "./internal/receive/receive-context.ts";
import { tracedReceive } from "./internal/receive/traced-receive.ts";
import type { PassStart } from "./contracts/instrumentation.ts";
import type { ReceiveInput } from "./receive-input.ts";
import { DEFAULT_RETRY_DELAY, type ResolvedOptions, type WebhookInboxOptions, parseOptions } from "./options.ts";
import { type RunDueOptions, type RunDueResult, runWithinBudget } from "./run-due.ts";
import { TimerScheduler } from "./timer-scheduler.ts";
import type {
  DeliveryFilter,
  DeliveryRecord,
  DeliverySummary,
  EventCount,
  EventDetails,
  EventFilter,
  EventHandler,
  EventSummary,
  Mode,
  Page,
  PageRequest,
  ReceiveResult,
} from "./types.ts";
import { attemptsRemaining } from "./types.ts";
import type { InboxSettings, IntegrationInfo, SettingChangeOptions } from "./settings.ts";

export type { ReceiveInput, UnreadBody } from "./receive-input.ts";

export type { InboxSettings, IntegrationInfo, SettingChangeOptions } from "./settings.ts";

/**
 * The framework-agnostic core: stores every webhook before answering it, splits it into per-entity
 * events and processes them by mode, with bounded retries, batched downloads, a per-tenant rate
 * limiter and a staleness guard.
 *
 * @example
 * const inbox = createWebhookInbox({
 *   store: new MemoryStore(),
 *   integrations: { qbo: { provider: quickbooks({ verifierToken, getAccessToken }), mode: "immediate" } },
 *   handler: async (event) => { await saveInvoice(event.resource); },
 * });
 * await inbox.start();
 */
export class WebhookProcessor {
  readonly #options: ResolvedOptions;
  readonly #store: WebhookStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #scheduler: Scheduler;
  readonly #limiter: CallLimiter;
  readonly #events: LifecycleEvents;
  readonly #integrations: Map<string, Integration>;
  readonly #settings: IntegrationSettings;
  readonly #workerId: string;
  readonly #retryDelay: (attempt: number) => number;
  #ready: Promise<void> | null = null;
  #started = false;
  #stopController = stopController();
  #unsubscribe: (() => Promise<void>) | null = null;
  #inFlight = new Set<Promise<unknown>>();
  readonly #receiveContext: ReceiveContext;
  readonly #retention: Retention;
  readonly #reconciler: Reconciler | null;
  readonly #passes: PassRunner;
  readonly #actions: OperatorActions;

  constructor(options: WebhookInboxOptions) {
    this.#options = parseOptions(options);
    this.#store = this.#options.store;
    this.#clock = this.#options.clock ?? systemClock;
    this.#logger = guardLogger(levelledLogger(this.#options.logger, this.#options.logLevel));
    this.#events = new LifecycleEvents(this.#logger);
    this.#integrations = new Map(Object.entries(this.#options.integrations));
    this.#limiter = createCallLimiter(this.#store, this.#clock, this.#integrations, (error, message) => this.#reportError(error, message));
    this.#settings = new IntegrationSettings(this.#integrations, {
      state: this.#store.sharedState,
      clock: this.#clock,
      serviceEnabled: this.#options.serviceEnabled,
      refreshMs: this.#options.settingsRefreshMs,
      onError: (error, message) => this.#reportError(error, message),
    });
    this.#workerId = this.#options.workerId ?? `${hostname()}:${process.pid}:${createId().slice(-6)}`;
    const retryDelay = this.#options.retryDelay ?? DEFAULT_RETRY_DELAY;
    this.#retryDelay = typeof retryDelay === "function" ? retryDelay : (attempt) => backoffDelay(retryDelay, attempt);
    this.#scheduler =
      this.#options.scheduler ??
      new TimerScheduler({
        pollIntervalMs: this.#options.pollIntervalMs,
        clock: this.#clock,
        onError: (error) => this.#reportError(error, "a processing pass failed"),
      });
    this.#retention = new Retention(this.#store, this.#clock, this.#logger, this.#options.retention);
    // What every part shares: the collaborators, and callbacks into this facade's changing state.
    const core = {
      options: this.#options,
      store: this.#store,
      clock: this.#clock,
      limiter: this.#limiter,
      logger: this.#logger,
      workerId: this.#workerId,
      integrations: this.#integrations,
      effectiveMode: (id: string) => this.#effectiveMode(id),
      handlerFor: (integration: string, entityType: string) => this.#handlerFor(integration, entityType),
      signal: () => this.#stopController.signal,
      emit: ((name, payload) => this.#emit(name, payload)) as Emit,
      reportError: (error: unknown, message: string) => this.#reportError(error, message),
      wake: () => {
        if (this.#started) this.#scheduler.wake(0);
      },
    };
    this.#reconciler = buildReconciler(core);
    this.#receiveContext = buildReceiveContext({
      ...core,
      emitter: this.#events.emitter,
      scheduler: this.#scheduler,
      started: () => this.#started,
      stopSignal: core.signal,
      ensureReady: () => this.#ensureReady(),
    });
    this.#passes = new PassRunner({ ...core, retryDelay: this.#retryDelay, retention: this.#retention, reconciler: this.#reconciler });
    this.#actions = new OperatorActions({ ...core, passes: this.#passes, integration: (id) => this.#integration(id) });
    attachInstrumentation(this.#options.instrumentation, {
      on: (name, listener) => void this.on(name, listener),
      countEvents: (filter) => this.countEvents(filter),
      nextDueAt: () => this.#ensureReady().then(() => this.#store.nextDueAt()),
      rateLimits: () => this.rateLimits(),
      now: () => this.#clock.now(),
    });
  }

  // ── lifecycle ────────────────────────────────────────────────────────────

  /** Migrates the store, subscribes to cross-process wake-ups and starts the scheduler. */
  async start(): Promise<void> {
    if (this.#started) return;
    await this.#ensureReady();
    this.#started = true;
    this.#stopController = stopController();
    await this.#settings.start();
    if (this.#store.subscribe) this.#unsubscribe = await this.#store.subscribe(() => this.#scheduler.wake(this.#options.coalesceMs));
    this.#scheduler.start(() => this.#runDue("scheduler"));
  }

  /**
   * Stops the scheduler and aborts running handlers' signals (an attempt cut short this way is handed
   * back unspent, due at once), waits for passes and in-request work in flight, and leaves no timer
   * behind. Does not close the store.
   */
  async stop(): Promise<void> {
    if (this.#started) {
      this.#started = false;
      this.#stopController.abort(new WebhookInboxError("INBOX_STOPPING", "the inbox is stopping", { status: 503 }));
      await this.#scheduler.stop();
      await this.#settings.stop();
      await this.#unsubscribe?.();
      this.#unsubscribe = null;
    }
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Lifecycle events (see `InboxEventMap`). */
  on<K extends keyof InboxEventMap>(name: K, listener: InboxEventMap[K]): this {
    this.#events.on(name, listener);
    return this;
  }
  once<K extends keyof InboxEventMap>(name: K, listener: InboxEventMap[K]): this {
    this.#events.once(name, listener);
    return this;
  }
  off<K extends keyof InboxEventMap>(name: K, listener?: InboxEventMap[K]): this {
    this.#events.off(name, listener);
    return this;
  }

  // ── settings ─────────────────────────────────────────────────────────────

  get maxBodyBytes(): number {
    return this.#options.maxBodyBytes;
  }

  get serviceEnabled(): boolean {
    return this.#settings.serviceEnabled;
  }

  /**
   * Off: every integration is processed in `direct` mode. Applies to this instance at once; the
   * returned promise resolves when the change is stored (shared stores: every instance follows
   * within `settingsRefreshMs`, and it survives restarts).
   */
  setServiceEnabled(enabled: boolean, change: SettingChangeOptions = {}): Promise<void> {
    return this.#settings.setServiceEnabled(enabled, change.changedBy ?? null);
  }

  /**
   * Sets an integration's mode; an unknown integration or mode throws at once. Applies to this
   * instance at once; the returned promise resolves when the change is stored (as `setServiceEnabled`).
   */
  setMode(integration: string, mode: Mode, change: SettingChangeOptions = {}): Promise<void> {
    return this.#settings.setMode(integration, mode, change.changedBy ?? null);
  }

  getMode(integration: string): Mode {
    return this.#settings.getMode(integration);
  }

  /** The settings in force here, with who changed each and when, and whether they are shared through the store. */
  getSettings(): InboxSettings {
    return this.#settings.snapshot();
  }

  /**
   * A read-only view of the rate limiter: per provider and tenant, whether it is paused (until when,
   * and the provider's answer that paused it) and the calls used in each window. With a store that
   * shares the budget (`store.rateBudget`, PostgresStore) these are the shared budgets as this
   * instance last read them (`shared.readAt`); `readRateLimits()` reads them now.
   */
  rateLimits(): RateLimitSnapshot[] {
    return this.#limiter.snapshot();
  }

  /** The rate limiter's budgets now: read from the store when it shares them, else this process's. */
  readRateLimits(): Promise<RateLimitSnapshot[]> {
    return this.#limiter.read();
  }

  listIntegrations(): IntegrationInfo[] {
    return this.#settings.list();
  }

  // ── receiving ────────────────────────────────────────────────────────────

  /**
   * Handles one inbound request: verify, store, answer. Never throws; every outcome is a response and
   * every request is logged as a delivery (rejected ones with their reason).
   */
  async receive(input: ReceiveInput): Promise<ReceiveResult> {
    const work = tracedReceive(this.#receiveContext, input).catch((error: unknown) => {
      // Every known outcome is mapped inside the pipeline; this is the last line, for the unforeseen.
      this.#reportError(error, "receive() failed unexpectedly; answered 500");
      return answer({ kind: "internal" });
    });
    this.#track(work);
    return work;
  }

  // ── processing ───────────────────────────────────────────────────────────

  /**
   * Processes due work: one pass, or with `budgetMs` passes back to back until nothing is due now or
   * the budget is spent. Nothing it started is still running when it resolves, so a cron route or a
   * serverless function can call it without `start()` (no resident worker; see README "Serverless and cron").
   */
  runDue(options: RunDueOptions = {}): Promise<RunDueResult> {
    return this.#runDue("run-due", options);
  }

  #runDue(origin: PassStart["origin"], options: RunDueOptions = {}): Promise<RunDueResult> {
    const work = runWithinBudget(
      async () => {
        await this.#ensureReady();
        return this.#passes.pass(origin);
      },
      this.#clock,
      options,
    );
    this.#track(work);
    return work;
  }

  /** Runs passes until nothing is due at the clock's current time (tests, scripts, shutdown). */
  async drain(): Promise<void> {
    for (;;) {
      const report = await this.runDue();
      if (report.more) continue;
      if (report.nextDueAt && report.nextDueAt.getTime() <= this.#clock.now().getTime()) continue;
      return;
    }
  }

  // ── operator actions ─────────────────────────────────────────────────────

  /**
   * Retries one event now, as a `manual` attempt (spends no automatic attempt). Resolves with the event
   * after the attempt; when the rate limiter postpones it, the event is still waiting (a `rate_limited`
   * attempt, `nextAttemptAt` = when the limiter allows it) and the scheduler runs it then.
   */
  async retry(id: string): Promise<EventDetails> {
    await this.#ensureReady();
    await this.#actions.retryNow(id);
    return (await this.getEvent(id))!;
  }

  /**
   * Re-queues many events for a manual retry (by ids or by filter) and wakes the scheduler, which
   * processes them in batches. Succeeded events and events being processed are skipped.
   */
  async retryMany(selection: readonly string[] | EventFilter): Promise<{ requeued: string[] }> {
    await this.#ensureReady();
    return { requeued: await this.#actions.requeueMany(selection) };
  }

  /**
   * Queues the events of a delivery an operator can re-process: an `unparseable` one is parsed again
   * (after its cause is fixed); a `direct` one left without a recorded outcome (its process died
   * mid-handler) has its stored body's events queued, so a durable pass runs its handlers.
   */
  async reprocessDelivery(id: string): Promise<DeliveryRecord> {
    await this.#ensureReady();
    return this.#actions.reprocess(id);
  }

  /**
   * Reconciles now: asks the provider what changed since each tenant's reconciliation watermark (one
   * tenant, or every tenant of the integration) and stores every change as an ordinary event, trigger
   * `reconcile`, marked found by reconciliation; the scheduler (or `drain()`) processes them. Resolves
   * with the runs once their events are stored. See README › Reconciliation.
   */
  async reconcile(input: { integration: string; tenantId?: string }): Promise<ReconcileRun[]> {
    await this.#ensureReady();
    if (!this.#reconciler) throw new WebhookInboxError("CONFIG_INVALID", "no integration has a reconcile option", { status: 400 });
    const work = this.#reconciler.reconcile(input.integration, input.tenantId, "manual");
    this.#track(work);
    return work;
  }

  /** The reconciliation run log, newest first. */
  async listReconcileRuns(filter: ReconcileRunFilter = {}): Promise<ReconcileRun[]> {
    await this.#ensureReady();
    return (await this.#store.reconciliation?.listRuns(filter)) ?? [];
  }

  /** Removes succeeded and stale events (and deliveries left empty) last updated before `olderThan`. */
  async prune(olderThan: Date): Promise<number> {
    await this.#ensureReady();
    return this.#store.prune({ olderThan });
  }

  // ── queries ──────────────────────────────────────────────────────────────

  async getEvent(id: string): Promise<EventDetails | null> {
    await this.#ensureReady();
    const event = await this.#store.getEvent(id);
    return event && { ...event, attemptsRemaining: attemptsRemaining(event) };
  }

  async listEvents(filter: EventFilter & PageRequest = {}): Promise<Page<EventSummary>> {
    await this.#ensureReady();
    const page = await this.#store.listEvents(filter);
    return { ...page, items: page.items.map((event) => ({ ...event, attemptsRemaining: attemptsRemaining(event) })) };
  }

  async countEvents(filter: EventFilter = {}): Promise<EventCount[]> {
    await this.#ensureReady();
    return this.#store.countEvents(filter);
  }

  async listDeliveries(filter: DeliveryFilter & PageRequest = {}): Promise<Page<DeliverySummary>> {
    await this.#ensureReady();
    return this.#store.listDeliveries(filter);
  }

  async getDelivery(id: string): Promise<DeliveryRecord | null> {
    await this.#ensureReady();
    return this.#store.getDelivery(id);
  }

  // ── internals ────────────────────────────────────────────────────────────

  #integration(id: string): Integration {
    return this.#settings.integration(id);
  }

  #effectiveMode(id: string): Mode {
    return this.#settings.effectiveMode(id);
  }

  #handlerFor(integration: string, entityType: string): EventHandler | undefined {
    return lookupHandler(this.#options, integration, entityType);
  }

  #ensureReady(): Promise<void> {
    if (!this.#ready) {
      this.#ready = this.#store
        .migrate()
        .then(() => this.#settings.load())
        .catch((error: unknown) => {
          this.#ready = null; // try again on the next call: the database may come back
          throw error;
        });
    }
    return this.#ready;
  }

  #track(work: Promise<unknown>): void {
    this.#inFlight.add(work);
    const done = () => void this.#inFlight.delete(work);
    work.then(done, done);
  }

  #emit<K extends keyof InboxEventMap>(name: K, payload: Parameters<InboxEventMap[K]>[0]): void {
    this.#events.emit(name, payload);
  }

  #reportError(error: unknown, message: string): void {
    this.#events.reportError(error, message);
  }
}

/** Creates a `WebhookProcessor`; options are validated at once (a bad option throws `WebhookConfigError`). */
export function createWebhookInbox(options: WebhookInboxOptions): WebhookProcessor {
  return new WebhookProcessor(options);
}
