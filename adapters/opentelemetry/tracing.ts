// The spans: a receive, a processing pass, each provider call and each handler attempt, nested and linked so one event's path can be followed.
import { type Attributes, type Context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type Tracer, context, trace } from "@opentelemetry/api";
import {
  type EventRecord,
  type InboxEvent,
  type InboxEventMap,
  type InboxEventName,
  type InstrumentationScope,
  type PassStart,
  type ProviderCallStart,
  type RateLimiterWait,
  type ReceiveStart,
  describeError,
  isWebhookInboxError,
} from "../../src/index.ts";
import { ATTR, MESSAGING_SYSTEM, SEMCONV } from "./attributes.ts";
import type { DeliveryLinks } from "./delivery-links.ts";

/** A receive's or a pass's span, as the inbox hands it back as the parent of the work it contains. */
export class SpanScope implements InstrumentationScope {
  constructor(
    readonly span: Span,
    readonly context: Context,
    private readonly onLifecycle: (scope: SpanScope, name: InboxEventName, payload: unknown) => void,
  ) {}
  lifecycle<K extends InboxEventName>(name: K, payload: Parameters<InboxEventMap[K]>[0]): void {
    this.onLifecycle(this, name, payload);
  }
}

/** How a provider call ended, for the span and the metrics. */
export interface CallOutcome {
  readonly outcome: "ok" | "rate_limited" | "error";
  /** The provider's HTTP status, when it is known (a throttle, a failed request). */
  readonly status: number | undefined;
}

/** Reads a provider call's error: the provider's throttle (`RateLimitedError`), a failed request (`ProviderRequestError`), or anything else. */
export function callOutcome(error: unknown): CallOutcome {
  if (isWebhookInboxError(error) && error.code === "RATE_LIMITED") return { outcome: "rate_limited", status: error.status };
  const providerStatus = (error as { providerStatus?: unknown } | null)?.providerStatus;
  return { outcome: "error", status: typeof providerStatus === "number" ? providerStatus : undefined };
}

/** Marks a span failed with the error's type and message, and records the exception. */
function fail(span: Span, error: unknown, type?: string): void {
  span.recordException(error instanceof Error ? error : describeError(error));
  span.setAttribute(SEMCONV.ERROR_TYPE, type ?? (isWebhookInboxError(error) ? error.code : error instanceof Error ? error.name : "unknown"));
  span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(error) });
}

/** Runs `work` with `span` active, ending it when `work` settles; `onError` decides how a failure marks it. */
async function within<T>(
  span: Span,
  parent: Context,
  work: () => Promise<T>,
  onSuccess?: (value: T) => void,
  onError: (error: unknown) => void = (error) => fail(span, error),
): Promise<T> {
  try {
    const value = await context.with(trace.setSpan(parent, span), work);
    onSuccess?.(value);
    return value;
  } catch (error) {
    onError(error);
    throw error;
  } finally {
    span.end();
  }
}

const parentOf = (scope: InstrumentationScope | undefined): Context => (scope instanceof SpanScope ? scope.context : context.active());

/** The span hooks of `openTelemetry()`. */
export class InboxTracing {
  constructor(
    private readonly tracer: Tracer,
    private readonly links: DeliveryLinks,
  ) {}

  /**
   * `receive {integration}`, kind PRODUCER (the inbox stores the webhook as messages to process),
   * under the host's HTTP server span when there is one. Its delivery's id and outcome come with
   * the delivery's lifecycle event; the answer's status is `http.response.status_code`.
   */
  receive<T>(start: ReceiveStart, work: (scope: InstrumentationScope) => Promise<T>): Promise<T> {
    const parent = context.active();
    const span = this.tracer.startSpan(
      `receive ${start.integration}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          [SEMCONV.MESSAGING_SYSTEM]: MESSAGING_SYSTEM,
          [SEMCONV.MESSAGING_OPERATION_TYPE]: "send",
          [SEMCONV.MESSAGING_OPERATION_NAME]: "receive",
          [SEMCONV.MESSAGING_DESTINATION_NAME]: start.integration,
          [SEMCONV.HTTP_REQUEST_METHOD]: start.method,
          [ATTR.INTEGRATION]: start.integration,
          [ATTR.PROVIDER]: start.provider,
        },
      },
      parent,
    );
    const scope = new SpanScope(span, trace.setSpan(parent, span), (_, name, payload) => this.#onReceiveLifecycle(span, name, payload));
    return within(
      span,
      parent,
      () => work(scope),
      (result) => {
        const status = (result as { status?: unknown } | null)?.status;
        if (typeof status !== "number") return;
        span.setAttribute(SEMCONV.HTTP_RESPONSE_STATUS_CODE, status);
        // As for an HTTP server span: a 4xx is the sender's problem, a 5xx is ours.
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `answered ${status}` });
      },
    );
  }

  #onReceiveLifecycle(span: Span, name: InboxEventName, payload: unknown): void {
    if (name !== "delivery:received" && name !== "delivery:rejected") return;
    const { delivery, code, reason } = payload as Parameters<InboxEventMap["delivery:rejected"]>[0];
    const attributes: Attributes = {
      [SEMCONV.MESSAGING_MESSAGE_ID]: delivery.id,
      [ATTR.DELIVERY_ID]: delivery.id,
      [ATTR.DELIVERY_OUTCOME]: delivery.status,
      [SEMCONV.MESSAGING_BATCH_MESSAGE_COUNT]: delivery.eventCount,
      [ATTR.TENANT_IDS]: [...delivery.tenantIds],
    };
    if (delivery.duplicateOf) attributes[ATTR.DUPLICATE_OF] = delivery.duplicateOf;
    if (name === "delivery:rejected") Object.assign(attributes, { [SEMCONV.ERROR_TYPE]: code, [ATTR.DELIVERY_REASON]: reason });
    span.setAttributes(attributes);
    if (delivery.eventCount > 0) this.links.remember(delivery.id, span.spanContext());
  }

  /**
   * `process webhook-inbox`, kind CONSUMER: one pass over claimed events (`messaging.batch.message_count`).
   * A scheduler's pass starts its own trace (its timer would otherwise inherit whatever context set it);
   * `runDue()` and `inbox.retry()` run under the caller's span (a cron route, an admin request).
   */
  pass<T>(start: PassStart, work: (scope: InstrumentationScope) => Promise<T>): Promise<T> {
    const parent = start.origin === "scheduler" ? ROOT_CONTEXT : context.active();
    const span = this.tracer.startSpan(
      "process webhook-inbox",
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          [SEMCONV.MESSAGING_SYSTEM]: MESSAGING_SYSTEM,
          [SEMCONV.MESSAGING_OPERATION_TYPE]: "process",
          [SEMCONV.MESSAGING_OPERATION_NAME]: "pass",
          [SEMCONV.MESSAGING_BATCH_MESSAGE_COUNT]: start.claimed,
          [SEMCONV.MESSAGING_CONSUMER_GROUP_NAME]: start.workerId,
          [ATTR.PASS_ORIGIN]: start.origin,
          [ATTR.PASS_POISONED]: start.poisoned,
        },
      },
      parent,
    );
    const scope = new SpanScope(span, trace.setSpan(parent, span), (_, name, payload) => onPassLifecycle(span, name, payload));
    return within(span, parent, () => work(scope));
  }

  /** `fetch {provider} {entity type}`, kind CLIENT, under its pass (or a `direct` receive). */
  providerCall<T>(
    start: ProviderCallStart,
    parent: InstrumentationScope | undefined,
    work: () => Promise<T>,
    done: (outcome: CallOutcome) => void,
  ): Promise<T> {
    const parentContext = parentOf(parent);
    const span = this.tracer.startSpan(
      `fetch ${start.provider} ${start.entityType}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR.PROVIDER]: start.provider,
          [ATTR.TENANT_ID]: start.tenantId,
          [ATTR.ENTITY_TYPE]: start.entityType,
          [ATTR.ENTITY_IDS]: [...start.ids],
          [ATTR.ENTITY_COUNT]: start.ids.length,
          [ATTR.PROVIDER_CALL_PURPOSE]: start.purpose,
          [ATTR.RATE_LIMIT_WAIT_MS]: start.queuedMs,
        },
      },
      parentContext,
    );
    return within(
      span,
      parentContext,
      work,
      () => {
        span.setAttribute(ATTR.PROVIDER_CALL_OUTCOME, "ok");
        done({ outcome: "ok", status: undefined });
      },
      (error) => {
        const outcome = callOutcome(error);
        span.setAttribute(ATTR.PROVIDER_CALL_OUTCOME, outcome.outcome);
        if (outcome.status !== undefined) span.setAttribute(SEMCONV.HTTP_RESPONSE_STATUS_CODE, outcome.status);
        const throttle = error as { retryAfterMs?: unknown; limit?: unknown };
        if (outcome.outcome === "rate_limited" && typeof throttle.retryAfterMs === "number") span.setAttribute(ATTR.RETRY_AFTER_MS, throttle.retryAfterMs);
        if (outcome.outcome === "rate_limited" && typeof throttle.limit === "string") span.setAttribute(ATTR.RATE_LIMIT_NAME, throttle.limit);
        fail(span, error, outcome.status === undefined ? undefined : String(outcome.status));
        done(outcome);
      },
    );
  }

  /**
   * `process {integration}`, kind CONSUMER: one handler attempt for one event (`messaging.message.id`),
   * under its pass, linked to the receive span of its delivery when this process received it.
   */
  handlerAttempt<T>(event: InboxEvent, parent: InstrumentationScope | undefined, work: () => Promise<T>): Promise<T> {
    const parentContext = parentOf(parent);
    const link = this.links.get(event.deliveryId);
    const span = this.tracer.startSpan(
      `process ${event.integration}`,
      {
        kind: SpanKind.CONSUMER,
        links: link ? [{ context: link }] : [],
        attributes: {
          [SEMCONV.MESSAGING_SYSTEM]: MESSAGING_SYSTEM,
          [SEMCONV.MESSAGING_OPERATION_TYPE]: "process",
          [SEMCONV.MESSAGING_OPERATION_NAME]: "process",
          [SEMCONV.MESSAGING_DESTINATION_NAME]: event.integration,
          [SEMCONV.MESSAGING_MESSAGE_ID]: event.id,
          [ATTR.EVENT_ID]: event.id,
          [ATTR.DELIVERY_ID]: event.deliveryId,
          [ATTR.INTEGRATION]: event.integration,
          [ATTR.PROVIDER]: event.provider,
          [ATTR.TENANT_ID]: event.tenantId,
          [ATTR.ENTITY_TYPE]: event.entityType,
          [ATTR.ENTITY_ID]: event.entityId,
          [ATTR.EVENT_OPERATION]: event.operation,
          [ATTR.ATTEMPT_NUMBER]: event.attempt,
          [ATTR.ATTEMPT_TRIGGER]: event.trigger,
        },
      },
      parentContext,
    );
    return within(
      span,
      parentContext,
      work,
      () => span.setAttribute(ATTR.ATTEMPT_OUTCOME, "succeeded"),
      (error) => {
        span.setAttribute(ATTR.ATTEMPT_OUTCOME, "failed");
        fail(span, error);
      },
    );
  }

  /** A deferral by the rate limiter is an event on the enclosing span (no call was made). */
  rateLimiterWait(wait: RateLimiterWait, parent: InstrumentationScope | undefined): void {
    if (wait.kind !== "deferred") return;
    const span = parent instanceof SpanScope ? parent.span : trace.getActiveSpan();
    span?.addEvent("webhook_inbox.rate_limiter.deferred", {
      [ATTR.PROVIDER]: wait.provider,
      [ATTR.TENANT_ID]: wait.tenantId,
      [ATTR.ENTITY_TYPE]: wait.entityType,
      [ATTR.ENTITY_COUNT]: wait.entities,
      [ATTR.RATE_LIMIT_WAIT_MS]: wait.waitMs,
    });
  }
}

/** A pass's outcomes that have no span of their own (stale skips, throttles, retries, exhaustion) are events on the pass span. */
function onPassLifecycle(span: Span, name: InboxEventName, payload: unknown): void {
  const { event } = payload as { event?: EventRecord };
  if (!event) return;
  const base: Attributes = {
    [ATTR.EVENT_ID]: event.id,
    [ATTR.DELIVERY_ID]: event.deliveryId,
    [ATTR.TENANT_ID]: event.tenantId,
    [ATTR.ENTITY_TYPE]: event.entityType,
    [ATTR.ENTITY_ID]: event.entityId,
  };
  switch (name) {
    case "event:stale": {
      const { supersededBy, reason } = payload as Parameters<InboxEventMap["event:stale"]>[0];
      span.addEvent("webhook_inbox.event.stale", { ...base, [ATTR.SUPERSEDED_BY]: supersededBy, [ATTR.REASON]: reason });
      break;
    }
    case "event:rate-limited": {
      const { retryAfterMs, limit } = payload as Parameters<InboxEventMap["event:rate-limited"]>[0];
      span.addEvent("webhook_inbox.event.rate_limited", { ...base, [ATTR.RETRY_AFTER_MS]: retryAfterMs, ...(limit ? { [ATTR.RATE_LIMIT_NAME]: limit } : {}) });
      break;
    }
    case "event:failed": {
      const { error } = payload as Parameters<InboxEventMap["event:failed"]>[0];
      span.addEvent("webhook_inbox.event.failed", { ...base, [ATTR.REASON]: error });
      break;
    }
    case "event:retry-scheduled": {
      const { nextAttemptAt, attemptsRemaining } = payload as Parameters<InboxEventMap["event:retry-scheduled"]>[0];
      span.addEvent("webhook_inbox.event.retry_scheduled", {
        ...base,
        [ATTR.NEXT_ATTEMPT_AT]: nextAttemptAt.toISOString(),
        [ATTR.ATTEMPTS_REMAINING]: attemptsRemaining,
      });
      break;
    }
    case "event:exhausted": {
      const { error } = payload as Parameters<InboxEventMap["event:exhausted"]>[0];
      span.addEvent("webhook_inbox.event.exhausted", { ...base, [ATTR.REASON]: error });
      break;
    }
  }
}
