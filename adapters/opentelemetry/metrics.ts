// The metrics: deliveries, attempts and finished events by outcome, provider calls and throttles, limiter waits, and the queue's gauges.
import type { Attributes, Counter, Histogram, Meter } from "@opentelemetry/api";
import type { EventRecord, InstrumentationTarget, ProviderCallStart, RateLimiterWait } from "../../src/index.ts";
import { ATTR, METRIC, SEMCONV } from "./attributes.ts";
import type { CallOutcome } from "./tracing.ts";

/** Statuses an event waits in: the queue's depth. */
const WAITING = ["queued", "retrying", "processing"] as const;

/** Histogram buckets in seconds, from 5 ms to 2 days (a throttled event may wait out Xero's day limit). */
const SECONDS_BUCKETS = [0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3_600, 14_400, 86_400, 172_800];

/**
 * The inbox's instruments on one meter. Counters and histograms are fed by the lifecycle events and
 * the provider-call and limiter hooks; the gauges read the store (and this process's limiter) on
 * each collection. Tenant ids are added only with `tenantIdInMetrics`.
 */
export class InboxMetrics {
  readonly #deliveries: Counter;
  readonly #attempts: Counter;
  readonly #finished: Counter;
  readonly #timeToFinished: Histogram;
  readonly #providerCalls: Counter;
  readonly #throttles: Counter;
  readonly #callDuration: Histogram;
  readonly #limiterWait: Histogram;

  constructor(
    private readonly meter: Meter,
    private readonly tenantIdInMetrics: boolean,
  ) {
    this.#deliveries = meter.createCounter(METRIC.DELIVERIES, { description: "Webhook deliveries (inbound requests) by outcome", unit: "{delivery}" });
    this.#attempts = meter.createCounter(METRIC.ATTEMPTS, {
      description: "Recorded attempts by outcome (succeeded, failed, rate_limited, stale)",
      unit: "{attempt}",
    });
    this.#finished = meter.createCounter(METRIC.EVENTS_FINISHED, {
      description: "Events reaching a final status (succeeded, failed = exhausted, stale)",
      unit: "{event}",
    });
    this.#timeToFinished = meter.createHistogram(METRIC.TIME_TO_FINISHED, {
      description: "Time from an event's receipt to its final status",
      unit: "s",
      advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
    });
    this.#providerCalls = meter.createCounter(METRIC.PROVIDER_CALLS, {
      description: "Provider API calls by outcome (ok, error, rate_limited)",
      unit: "{call}",
    });
    this.#throttles = meter.createCounter(METRIC.PROVIDER_THROTTLES, {
      description: 'Provider answers "too many requests" (429 or the provider\'s throttle)',
      unit: "{response}",
    });
    this.#callDuration = meter.createHistogram(METRIC.PROVIDER_CALL_DURATION, { description: "Duration of provider API calls", unit: "s" });
    this.#limiterWait = meter.createHistogram(METRIC.LIMITER_WAIT, {
      description: "Rate limiter waits: queued for a concurrency slot (then called), or deferred (no budget: handed back until then)",
      unit: "s",
      advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
    });
  }

  #tenant(attributes: Attributes, tenantId: string): Attributes {
    return this.tenantIdInMetrics ? { ...attributes, [ATTR.TENANT_ID]: tenantId } : attributes;
  }

  #eventAttributes(event: EventRecord, extra: Attributes): Attributes {
    return this.#tenant({ [ATTR.INTEGRATION]: event.integration, [ATTR.PROVIDER]: event.provider, ...extra }, event.tenantId);
  }

  /** Subscribes to the inbox's lifecycle events and registers the gauges. */
  attach(target: InstrumentationTarget): void {
    target.on("delivery:received", ({ delivery }) => {
      this.#deliveries.add(1, { [ATTR.INTEGRATION]: delivery.integration, [ATTR.PROVIDER]: delivery.provider, [ATTR.DELIVERY_OUTCOME]: delivery.status });
    });
    target.on("delivery:rejected", ({ delivery, code }) => {
      this.#deliveries.add(1, {
        [ATTR.INTEGRATION]: delivery.integration,
        [ATTR.PROVIDER]: delivery.provider,
        [ATTR.DELIVERY_OUTCOME]: delivery.status,
        [SEMCONV.ERROR_TYPE]: code,
      });
    });
    const attempt = (event: EventRecord, outcome: string) => this.#attempts.add(1, this.#eventAttributes(event, { [ATTR.ATTEMPT_OUTCOME]: outcome }));
    const finished = (event: EventRecord, status: string) => {
      const attributes = this.#eventAttributes(event, { [ATTR.EVENT_STATUS]: status });
      this.#finished.add(1, attributes);
      this.#timeToFinished.record(Math.max(0, target.now().getTime() - event.receivedAt.getTime()) / 1000, attributes);
    };
    target.on("event:processed", ({ event }) => {
      attempt(event, "succeeded");
      finished(event, "succeeded");
    });
    target.on("event:failed", ({ event }) => attempt(event, "failed"));
    target.on("event:rate-limited", ({ event }) => attempt(event, "rate_limited"));
    target.on("event:stale", ({ event }) => {
      attempt(event, "stale");
      finished(event, "stale");
    });
    target.on("event:exhausted", ({ event }) => finished(event, "failed"));
    this.#gauges(target);
  }

  #gauges(target: InstrumentationTarget): void {
    const depth = this.meter.createObservableGauge(METRIC.QUEUE_DEPTH, {
      description: "Events waiting or being processed, by integration and status (from the store)",
      unit: "{event}",
    });
    const oldest = this.meter.createObservableGauge(METRIC.OLDEST_DUE_AGE, {
      description: "How long the earliest due event has been due (0 when nothing is overdue; from the store)",
      unit: "s",
    });
    const paused = this.meter.createObservableGauge(METRIC.LIMITER_PAUSED, {
      description: "Rate-limit budgets of this process paused by a provider's throttle (tenants parked), by provider and scope",
      unit: "{budget}",
    });
    this.meter.addBatchObservableCallback(
      async (observer) => {
        observePaused(target, (value, attributes) => observer.observe(paused, value, attributes));
        try {
          const [counts, nextDueAt] = await Promise.all([target.countEvents({ status: [...WAITING] }), target.nextDueAt()]);
          for (const row of counts) observer.observe(depth, row.count, { [ATTR.INTEGRATION]: row.integration, [ATTR.EVENT_STATUS]: row.status });
          const overdueMs = nextDueAt ? target.now().getTime() - nextDueAt.getTime() : 0;
          observer.observe(oldest, Math.max(0, overdueMs) / 1000);
        } catch {
          // The store cannot be read (down, or closed with the inbox): the store gauges skip this
          // collection rather than report a false zero; the inbox reports store trouble itself.
        }
      },
      [depth, oldest, paused],
    );
  }

  /** One provider call ended. */
  providerCall(start: ProviderCallStart, outcome: CallOutcome, durationMs: number): void {
    const attributes = this.#tenant(
      {
        [ATTR.PROVIDER]: start.provider,
        [ATTR.ENTITY_TYPE]: start.entityType,
        [ATTR.PROVIDER_CALL_OUTCOME]: outcome.outcome,
        ...(outcome.status === undefined ? {} : { [SEMCONV.HTTP_RESPONSE_STATUS_CODE]: outcome.status }),
      },
      start.tenantId,
    );
    this.#providerCalls.add(1, attributes);
    this.#callDuration.record(durationMs / 1000, attributes);
    if (outcome.outcome === "rate_limited") this.#throttles.add(1, this.#tenant({ [ATTR.PROVIDER]: start.provider }, start.tenantId));
  }

  /** The limiter made work wait. */
  limiterWait(wait: RateLimiterWait): void {
    this.#limiterWait.record(wait.waitMs / 1000, this.#tenant({ [ATTR.PROVIDER]: wait.provider, [ATTR.RATE_LIMIT_WAIT_KIND]: wait.kind }, wait.tenantId));
  }
}

/** Paused budgets by provider and scope; a provider this process keeps budgets for reports 0 when none is paused. */
function observePaused(target: InstrumentationTarget, observe: (value: number, attributes: Attributes) => void): void {
  const counts = new Map<string, { provider: string; scope: string; paused: number }>();
  for (const budget of target.rateLimits()) {
    const scope = budget.tenantId === null ? "app" : "tenant";
    for (const each of ["tenant", "app"]) {
      const key = `${budget.provider}\u0000${each}`;
      if (!counts.has(key)) counts.set(key, { provider: budget.provider, scope: each, paused: 0 });
    }
    if (budget.pausedUntil !== null) counts.get(`${budget.provider}\u0000${scope}`)!.paused += 1;
  }
  for (const { provider, scope, paused } of counts.values()) observe(paused, { [ATTR.PROVIDER]: provider, [ATTR.RATE_LIMIT_SCOPE]: scope });
}
