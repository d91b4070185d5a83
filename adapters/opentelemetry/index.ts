/**
 * @module webhook-inbox/opentelemetry
 * OpenTelemetry spans and metrics for the inbox: pass `openTelemetry()` as the inbox's
 * `instrumentation`. It needs `@opentelemetry/api` (an optional peer, loaded only by this subpath);
 * the core never loads it, so an app without OpenTelemetry gets nothing and needs nothing.
 *
 * Spans: `receive {integration}` (PRODUCER: delivery id, outcome, HTTP method and answer status),
 * `process webhook-inbox` (CONSUMER: one pass), `fetch {provider} {entity type}` (CLIENT: tenant,
 * ids, status, rate-limit wait) and `process {integration}` (CONSUMER: one handler attempt, linked
 * to its delivery's receive span when this process received it, and always carrying the event,
 * delivery and tenant ids). Metrics and attribute names: README › Observability.
 *
 * @example
 * ```ts
 * import { openTelemetry } from "webhook-inbox/opentelemetry";
 * const inbox = createWebhookInbox({ store, integrations, handler, instrumentation: openTelemetry() });
 * ```
 */
import { metrics, trace } from "@opentelemetry/api";
import { type Instrumentation, WebhookConfigError } from "../../src/index.ts";
import { DeliveryLinks } from "./delivery-links.ts";
import { InboxMetrics } from "./metrics.ts";
import { type OpenTelemetryOptions, parseOpenTelemetryOptions } from "./options.ts";
import { type CallOutcome, InboxTracing } from "./tracing.ts";

export type { OpenTelemetryOptions } from "./options.ts";
export { ATTR as OTEL_ATTRIBUTES, METRIC as OTEL_METRICS, SEMCONV as OTEL_SEMCONV } from "./attributes.ts";

/** The instrumentation scope name of the tracer and the meter. */
export const INSTRUMENTATION_NAME = "webhook-inbox";

/**
 * An `Instrumentation` that writes OpenTelemetry spans and metrics. Give one to one inbox (its
 * gauges read that inbox's store). Options are validated at once (a bad one throws `WebhookConfigError`).
 */
export function openTelemetry(options: OpenTelemetryOptions = {}): Instrumentation {
  const resolved = parseOpenTelemetryOptions(options);
  const tracer = (resolved.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_NAME);
  const meter = (resolved.meterProvider ?? metrics.getMeterProvider()).getMeter(INSTRUMENTATION_NAME);
  const tracing = new InboxTracing(tracer, new DeliveryLinks(resolved.linkedDeliveries));
  const measured = new InboxMetrics(meter, resolved.tenantIdInMetrics);
  let attached = false;
  return {
    receive: (start, work) => tracing.receive(start, work),
    pass: (start, work) => tracing.pass(start, work),
    providerCall: (start, parent, work) => {
      const startedAt = performance.now();
      const done = (outcome: CallOutcome) => measured.providerCall(start, outcome, performance.now() - startedAt);
      return tracing.providerCall(start, parent, work, done);
    },
    handlerAttempt: (event, parent, work) => tracing.handlerAttempt(event, parent, work),
    rateLimiterWait: (wait, parent) => {
      measured.limiterWait(wait);
      tracing.rateLimiterWait(wait, parent);
    },
    attach: (target) => {
      if (attached)
        throw new WebhookConfigError(
          "instrumentation: this openTelemetry() is already attached to another inbox; create one per inbox (its gauges read that inbox's store)",
        );
      attached = true;
      measured.attach(target);
    },
  };
}
