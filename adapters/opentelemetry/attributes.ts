// The attribute names the OpenTelemetry instrumentation writes: OpenTelemetry's messaging, HTTP and error conventions, and the inbox's own.

/** OpenTelemetry semantic conventions (messaging, HTTP, error), as of semantic-conventions 1.3x. */
export const SEMCONV = {
  MESSAGING_SYSTEM: "messaging.system",
  MESSAGING_OPERATION_TYPE: "messaging.operation.type",
  MESSAGING_OPERATION_NAME: "messaging.operation.name",
  MESSAGING_DESTINATION_NAME: "messaging.destination.name",
  MESSAGING_MESSAGE_ID: "messaging.message.id",
  MESSAGING_BATCH_MESSAGE_COUNT: "messaging.batch.message_count",
  MESSAGING_CONSUMER_GROUP_NAME: "messaging.consumer.group.name",
  HTTP_REQUEST_METHOD: "http.request.method",
  HTTP_RESPONSE_STATUS_CODE: "http.response.status_code",
  ERROR_TYPE: "error.type",
} as const;

/** `messaging.system` of every span: the inbox is the queue. */
export const MESSAGING_SYSTEM = "webhook_inbox";

/** The inbox's own attributes (namespaced `webhook_inbox.`). */
export const ATTR = {
  INTEGRATION: "webhook_inbox.integration",
  PROVIDER: "webhook_inbox.provider",
  TENANT_ID: "webhook_inbox.tenant.id",
  TENANT_IDS: "webhook_inbox.tenant.ids",
  DELIVERY_ID: "webhook_inbox.delivery.id",
  DELIVERY_OUTCOME: "webhook_inbox.delivery.outcome",
  DELIVERY_REASON: "webhook_inbox.delivery.reason",
  DUPLICATE_OF: "webhook_inbox.delivery.duplicate_of",
  EVENT_ID: "webhook_inbox.event.id",
  EVENT_STATUS: "webhook_inbox.event.status",
  EVENT_OPERATION: "webhook_inbox.event.operation",
  ENTITY_TYPE: "webhook_inbox.entity.type",
  ENTITY_ID: "webhook_inbox.entity.id",
  ENTITY_IDS: "webhook_inbox.entity.ids",
  ENTITY_COUNT: "webhook_inbox.entity.count",
  ATTEMPT_NUMBER: "webhook_inbox.attempt.number",
  ATTEMPT_TRIGGER: "webhook_inbox.attempt.trigger",
  ATTEMPT_OUTCOME: "webhook_inbox.attempt.outcome",
  PASS_ORIGIN: "webhook_inbox.pass.origin",
  PASS_POISONED: "webhook_inbox.pass.poisoned",
  PROVIDER_CALL_PURPOSE: "webhook_inbox.provider.call.purpose",
  PROVIDER_CALL_OUTCOME: "webhook_inbox.provider.call.outcome",
  RATE_LIMIT_WAIT_MS: "webhook_inbox.rate_limiter.wait_ms",
  RATE_LIMIT_WAIT_KIND: "webhook_inbox.rate_limiter.wait.kind",
  RATE_LIMIT_SCOPE: "webhook_inbox.rate_limiter.scope",
  RETRY_AFTER_MS: "webhook_inbox.provider.retry_after_ms",
  RATE_LIMIT_NAME: "webhook_inbox.provider.rate_limit",
  NEXT_ATTEMPT_AT: "webhook_inbox.event.next_attempt_at",
  ATTEMPTS_REMAINING: "webhook_inbox.event.attempts_remaining",
  SUPERSEDED_BY: "webhook_inbox.event.superseded_by",
  REASON: "webhook_inbox.reason",
} as const;

/** Metric instrument names (Prometheus: dots become underscores, plus the unit and `_total` for counters). */
export const METRIC = {
  DELIVERIES: "webhook_inbox.deliveries",
  ATTEMPTS: "webhook_inbox.attempts",
  EVENTS_FINISHED: "webhook_inbox.events.finished",
  TIME_TO_FINISHED: "webhook_inbox.event.time_to_finished",
  PROVIDER_CALLS: "webhook_inbox.provider.calls",
  PROVIDER_THROTTLES: "webhook_inbox.provider.throttles",
  PROVIDER_CALL_DURATION: "webhook_inbox.provider.call.duration",
  LIMITER_WAIT: "webhook_inbox.rate_limiter.wait",
  LIMITER_PAUSED: "webhook_inbox.rate_limiter.paused",
  QUEUE_DEPTH: "webhook_inbox.queue.depth",
  OLDEST_DUE_AGE: "webhook_inbox.queue.oldest_due_age",
} as const;
