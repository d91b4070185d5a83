import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MemoryStore, type WebhookInboxOptions, createWebhookInbox } from "webhook-inbox";
import { openTelemetry } from "webhook-inbox/opentelemetry";
import { quickbooks } from "webhook-inbox/quickbooks";
import { ManualClock, quickBooksClassicPayload, startFakeQuickBooks } from "webhook-inbox/testing";

const VERIFIER = "qbo-verifier-token";
const REALM = "4620816365000000001";
const START = new Date("2030-01-01T00:00:00.000Z");
const iso = (secondsBeforeStart: number) => new Date(START.getTime() - secondsBeforeStart * 1000).toISOString();

// Without a context manager nothing is "active" and spans cannot nest; NodeSDK registers this one.
const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => void context.setGlobalContextManager(contextManager.enable()));
afterAll(() => {
  context.disable();
});

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

/** An inbox on the fake QuickBooks API, instrumented with in-memory span and metric exporters. */
async function setup(extra: Partial<WebhookInboxOptions> = {}, telemetry: Parameters<typeof openTelemetry>[0] = {}) {
  const clock = new ManualClock(START);
  const qbo = await startFakeQuickBooks({ now: () => clock.now().getTime() });
  open.push(qbo);
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  open.push({ close: () => meterProvider.shutdown() }, { close: () => tracerProvider.shutdown() });
  const failOnce = new Set<string>();
  const inbox = createWebhookInbox({
    store: new MemoryStore(),
    clock,
    integrations: {
      qbo: { provider: quickbooks({ verifierToken: VERIFIER, getAccessToken: () => "token", baseUrl: qbo.url }), mode: "delayed", delayMs: 1_000 },
    },
    handler: (event) => {
      if (failOnce.delete(event.entityId)) throw new Error(`invoice ${event.entityId} is locked`);
    },
    retryDelay: () => 10_000,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    instrumentation: openTelemetry({ tracerProvider, meterProvider, ...telemetry }),
    ...extra,
  });
  open.push({ close: () => inbox.stop() });
  /** Every metric collected now, by name. */
  const collect = async (): Promise<Map<string, MetricData>> => {
    metricExporter.reset();
    await reader.forceFlush();
    const byName = new Map<string, MetricData>();
    for (const resource of metricExporter.getMetrics())
      for (const scope of resource.scopeMetrics) for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
    return byName;
  };
  return { inbox, clock, qbo, spans, collect, failOnce };
}

/** A metric's value per data point, keyed by the named attributes' values ("" for a point without the attribute). */
function points(metric: MetricData | undefined, ...keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const point of metric?.dataPoints ?? []) {
    const key = keys.map((name) => String(point.attributes[name] ?? "")).join("/");
    const value = metric!.dataPointType === DataPointType.HISTOGRAM ? (point.value as { count: number }).count : (point.value as number);
    out[key] = (out[key] ?? 0) + value;
  }
  return out;
}

const byName = (spans: ReadableSpan[], name: string) => spans.filter((span) => span.name === name);
const parentId = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe("OpenTelemetry spans and metrics (webhook-inbox/opentelemetry)", () => {
  it("a delivery with a 429, a retry and a stale skip: its path is one receive, three passes, their provider calls and handler attempts, linked; the metrics count each outcome", async () => {
    const { inbox, clock, qbo, spans, collect, failOnce } = await setup();
    qbo.records.seed(REALM, "Invoice", ["1", "2", "3"], (id) => ({ DocNumber: `INV-${id}` }));
    failOnce.add("1");
    // Invoice 3 changed twice: the older change is stale once both are fetched in one pass.
    const signed = quickBooksClassicPayload(VERIFIER, [
      { realmId: REALM, name: "Invoice", id: "1", lastUpdated: iso(60) },
      { realmId: REALM, name: "Invoice", id: "2", lastUpdated: iso(50) },
      { realmId: REALM, name: "Invoice", id: "3", lastUpdated: iso(40) },
      { realmId: REALM, name: "Invoice", id: "3", lastUpdated: iso(30) },
    ]);
    const answer = await inbox.receive({ integration: "qbo", rawBody: new TextEncoder().encode(signed.body), headers: signed.headers });
    expect(answer.status).toBe(200);
    const [delivery] = (await inbox.listDeliveries({})).items;

    // Pass 1: QuickBooks answers 429 (Retry-After 30 s): every event is rate limited, none spent.
    qbo.throttleNext({ retryAfterSeconds: 30 });
    clock.advance(1_000);
    await inbox.runDue();
    // Pass 2: fetched; invoice 1's handler fails (a retry in 10 s), invoice 2 and 3 succeed, 3's older change is stale.
    clock.advance(30_000);
    await inbox.runDue();
    // Pass 3: invoice 1 again, it succeeds.
    clock.advance(10_000);
    await inbox.runDue();
    expect(await inbox.countEvents({})).toEqual(
      expect.arrayContaining([
        { integration: "qbo", status: "succeeded", count: 3 },
        { integration: "qbo", status: "stale", count: 1 },
      ]),
    );

    const finished = spans.getFinishedSpans();
    // The receive: PRODUCER, with the delivery id and its outcome.
    const [receive, ...otherReceives] = byName(finished, "receive qbo");
    expect(otherReceives).toEqual([]);
    expect(receive!.kind).toBe(3); // SpanKind.PRODUCER
    expect(receive!.attributes).toMatchObject({
      "messaging.system": "webhook_inbox",
      "messaging.operation.type": "send",
      "messaging.destination.name": "qbo",
      "messaging.message.id": delivery!.id,
      "messaging.batch.message_count": 4,
      "http.request.method": "POST",
      "http.response.status_code": 200,
      "webhook_inbox.delivery.id": delivery!.id,
      "webhook_inbox.delivery.outcome": "accepted",
      "webhook_inbox.provider": "quickbooks",
      "webhook_inbox.tenant.ids": [REALM],
    });

    // Three passes, each its own trace (nothing was active when runDue() was called).
    const passes = byName(finished, "process webhook-inbox");
    expect(passes.map((pass) => pass.attributes["messaging.batch.message_count"])).toEqual([4, 4, 1]);
    expect(passes.every((pass) => pass.kind === 4 && parentId(pass) === undefined)).toBe(true); // CONSUMER, root
    expect(passes[0]!.attributes["webhook_inbox.pass.origin"]).toBe("run-due");

    // Provider calls: a CLIENT span under each pass; the first answered 429 with its Retry-After.
    const calls = byName(finished, "fetch quickbooks Invoice");
    expect(calls).toHaveLength(3);
    for (const [index, call] of calls.entries()) expect(parentId(call)).toBe(passes[index]!.spanContext().spanId);
    expect(calls[0]!.kind).toBe(2); // SpanKind.CLIENT
    expect(calls[0]!.status.code).toBe(2); // ERROR
    expect(calls[0]!.attributes).toMatchObject({
      "webhook_inbox.provider": "quickbooks",
      "webhook_inbox.tenant.id": REALM,
      "webhook_inbox.entity.type": "Invoice",
      "webhook_inbox.entity.ids": ["1", "2", "3"],
      "webhook_inbox.provider.call.outcome": "rate_limited",
      "http.response.status_code": 429,
      "webhook_inbox.provider.retry_after_ms": 30_000,
      "webhook_inbox.rate_limiter.wait_ms": 0,
      "error.type": "429",
    });
    expect(calls[1]!.attributes).toMatchObject({ "webhook_inbox.provider.call.outcome": "ok", "webhook_inbox.entity.ids": ["1", "2", "3"] });
    expect(calls[2]!.attributes).toMatchObject({ "webhook_inbox.provider.call.outcome": "ok", "webhook_inbox.entity.ids": ["1"] });
    // The throttle and the stale skip have no span of their own: they are events on their pass.
    expect(passes[0]!.events.filter((event) => event.name === "webhook_inbox.event.rate_limited")).toHaveLength(4);
    const stale = passes[1]!.events.filter((event) => event.name === "webhook_inbox.event.stale");
    expect(stale).toHaveLength(1);
    expect(stale[0]!.attributes).toMatchObject({ "webhook_inbox.entity.id": "3", "webhook_inbox.delivery.id": delivery!.id });
    expect(passes[1]!.events.map((event) => event.name)).toContain("webhook_inbox.event.retry_scheduled");

    // Handler attempts: CONSUMER spans under their pass, linked to the receive span of their delivery.
    const attempts = byName(finished, "process qbo");
    expect(
      attempts
        .map(
          (span) =>
            `${span.attributes["webhook_inbox.entity.id"]}#${span.attributes["webhook_inbox.attempt.number"]}:${span.attributes["webhook_inbox.attempt.outcome"]}`,
        )
        .sort(),
    ).toEqual(["1#2:failed", "1#3:succeeded", "2#2:succeeded", "3#2:succeeded"]);
    for (const attempt of attempts) {
      expect(attempt.kind).toBe(4);
      expect(attempt.links.map((link) => link.context.spanId)).toEqual([receive!.spanContext().spanId]);
      expect(attempt.attributes).toMatchObject({
        "messaging.operation.type": "process",
        "webhook_inbox.delivery.id": delivery!.id,
        "webhook_inbox.tenant.id": REALM,
      });
      expect(passes.map((pass) => pass.spanContext().spanId)).toContain(parentId(attempt));
    }
    const failed = attempts.find((span) => span.attributes["webhook_inbox.attempt.outcome"] === "failed")!;
    expect(failed.status).toMatchObject({ code: 2, message: "invoice 1 is locked" });
    expect(failed.events.map((event) => event.name)).toEqual(["exception"]);

    // Metrics.
    const metrics = await collect();
    expect(points(metrics.get("webhook_inbox.deliveries"), "webhook_inbox.delivery.outcome")).toEqual({ accepted: 1 });
    expect(points(metrics.get("webhook_inbox.attempts"), "webhook_inbox.attempt.outcome")).toEqual({ rate_limited: 4, failed: 1, succeeded: 3, stale: 1 });
    expect(points(metrics.get("webhook_inbox.events.finished"), "webhook_inbox.event.status")).toEqual({ succeeded: 3, stale: 1 });
    expect(points(metrics.get("webhook_inbox.provider.calls"), "webhook_inbox.provider", "webhook_inbox.provider.call.outcome")).toEqual({
      "quickbooks/rate_limited": 1,
      "quickbooks/ok": 2,
    });
    expect(points(metrics.get("webhook_inbox.provider.throttles"), "webhook_inbox.provider")).toEqual({ quickbooks: 1 });
    expect(points(metrics.get("webhook_inbox.rate_limiter.wait"), "webhook_inbox.rate_limiter.wait.kind")).toEqual({ queued: 3 });
    // Time from receipt to the final status: invoice 2 and 3 (and 3's stale change) 31 s, invoice 1 41 s.
    const timeToFinished = metrics.get("webhook_inbox.event.time_to_finished")!;
    expect(timeToFinished.descriptor.unit).toBe("s");
    const succeeded = timeToFinished.dataPoints.find((point) => point.attributes["webhook_inbox.event.status"] === "succeeded")!.value as {
      count: number;
      sum: number;
      max?: number;
    };
    expect(succeeded).toMatchObject({ count: 3, sum: 31 + 31 + 41, max: 41 });
    // The queue is empty; nothing is overdue; no budget is paused any more.
    expect(points(metrics.get("webhook_inbox.queue.depth"), "webhook_inbox.event.status")).toEqual({});
    expect(points(metrics.get("webhook_inbox.queue.oldest_due_age"))).toEqual({ "": 0 });
    expect(points(metrics.get("webhook_inbox.rate_limiter.paused"), "webhook_inbox.rate_limiter.scope")).toEqual({ tenant: 0, app: 0 });
    // Tenants stay out of metric labels by default.
    for (const metric of metrics.values()) for (const point of metric.dataPoints) expect(point.attributes).not.toHaveProperty("webhook_inbox.tenant.id");
  });

  it("the gauges: queue depth by status, the oldest due event's age, a parked tenant; tenant ids in metrics only when asked", async () => {
    const { inbox, clock, qbo, collect } = await setup({}, { tenantIdInMetrics: true });
    qbo.records.seed(REALM, "Invoice", ["7", "8"], (id) => ({ DocNumber: `INV-${id}` }));
    const signed = quickBooksClassicPayload(VERIFIER, [
      { realmId: REALM, name: "Invoice", id: "7", lastUpdated: iso(10) },
      { realmId: REALM, name: "Invoice", id: "8", lastUpdated: iso(10) },
    ]);
    await inbox.receive({ integration: "qbo", rawBody: new TextEncoder().encode(signed.body), headers: signed.headers });
    // Due 1 s after receipt; 2 minutes later nothing has run: 119 s overdue.
    clock.advance(120_000);
    let metrics = await collect();
    expect(points(metrics.get("webhook_inbox.queue.depth"), "webhook_inbox.integration", "webhook_inbox.event.status")).toEqual({ "qbo/queued": 2 });
    expect(points(metrics.get("webhook_inbox.queue.oldest_due_age"))).toEqual({ "": 119 });

    // A day-limit throttle parks the tenant for an hour.
    qbo.throttleNext({ retryAfterSeconds: 3_600 });
    await inbox.runDue();
    metrics = await collect();
    expect(points(metrics.get("webhook_inbox.rate_limiter.paused"), "webhook_inbox.provider", "webhook_inbox.rate_limiter.scope")).toEqual({
      "quickbooks/tenant": 1,
      "quickbooks/app": 0,
    });
    expect(points(metrics.get("webhook_inbox.queue.depth"), "webhook_inbox.event.status")).toEqual({ queued: 2 });
    // Waiting out the throttle is not "overdue": the events are due when the pause ends.
    expect(points(metrics.get("webhook_inbox.queue.oldest_due_age"))).toEqual({ "": 0 });
    expect(points(metrics.get("webhook_inbox.provider.throttles"), "webhook_inbox.tenant.id")).toEqual({ [REALM]: 1 });
    expect(points(metrics.get("webhook_inbox.attempts"), "webhook_inbox.tenant.id", "webhook_inbox.attempt.outcome")).toEqual({ [`${REALM}/rate_limited`]: 2 });
  });

  it("a rejected request: its receive span says why, with the answer's status; the deliveries metric counts it with its code", async () => {
    const { inbox, spans, collect } = await setup();
    const answer = await inbox.receive({
      integration: "qbo",
      rawBody: new TextEncoder().encode("{}"),
      headers: { "content-type": "application/json", "intuit-signature": "forged" },
    });
    expect(answer.status).toBe(401);
    const [receive] = byName(spans.getFinishedSpans(), "receive qbo");
    expect(receive!.attributes).toMatchObject({
      "webhook_inbox.delivery.outcome": "rejected",
      "error.type": "SIGNATURE_INVALID",
      "http.response.status_code": 401,
    });
    expect(receive!.status.code).toBe(0); // a 4xx is the sender's problem: not an error of the inbox
    const metrics = await collect();
    expect(points(metrics.get("webhook_inbox.deliveries"), "webhook_inbox.delivery.outcome", "error.type")).toEqual({ "rejected/SIGNATURE_INVALID": 1 });
  });

  it("direct mode: the provider call and the handler attempt run under the receive span; a host span in the handler nests under the attempt", async () => {
    const clock = new ManualClock(START);
    const qbo = await startFakeQuickBooks({ now: () => clock.now().getTime() });
    open.push(qbo);
    const spans = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    const host = tracerProvider.getTracer("host");
    const inbox = createWebhookInbox({
      store: new MemoryStore(),
      clock,
      integrations: { qbo: { provider: quickbooks({ verifierToken: VERIFIER, getAccessToken: () => "token", baseUrl: qbo.url }), mode: "direct" } },
      handler: () => host.startActiveSpan("host write", (span) => span.end()),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      instrumentation: openTelemetry({ tracerProvider }),
    });
    qbo.records.seed(REALM, "Invoice", ["5"], (id) => ({ DocNumber: `INV-${id}` }));
    const signed = quickBooksClassicPayload(VERIFIER, [{ realmId: REALM, name: "Invoice", id: "5", lastUpdated: iso(5) }]);
    expect((await inbox.receive({ integration: "qbo", rawBody: new TextEncoder().encode(signed.body), headers: signed.headers })).status).toBe(200);
    const finished = spans.getFinishedSpans();
    const [receive] = byName(finished, "receive qbo");
    const [call] = byName(finished, "fetch quickbooks Invoice");
    const [attempt] = byName(finished, "process qbo");
    const [write] = byName(finished, "host write");
    expect(receive!.attributes["webhook_inbox.delivery.outcome"]).toBe("processed");
    expect(parentId(call!)).toBe(receive!.spanContext().spanId);
    expect(parentId(attempt!)).toBe(receive!.spanContext().spanId);
    expect(parentId(write!)).toBe(attempt!.spanContext().spanId);
    expect(attempt!.attributes).toMatchObject({ "webhook_inbox.attempt.trigger": "receive", "webhook_inbox.attempt.outcome": "succeeded" });
  });

  it("validates its options, and one instrumentation serves one inbox", async () => {
    expect(() => openTelemetry({ tracerProvider: {} as never })).toThrow(/tracerProvider must have getTracer/);
    expect(() => openTelemetry({ linkedDeliveries: -1 } as never)).toThrow(/linkedDeliveries/);
    const instrumentation = openTelemetry();
    const options = {
      store: new MemoryStore(),
      integrations: { qbo: { provider: quickbooks({ verifierToken: VERIFIER, getAccessToken: () => "t" }) } },
      handler: () => {},
      instrumentation,
    };
    createWebhookInbox(options);
    expect(() => createWebhookInbox({ ...options, store: new MemoryStore() })).toThrow(/already attached/);
    expect(() => createWebhookInbox({ ...options, instrumentation: { receive: 1 } as never })).toThrow(/instrumentation must be an Instrumentation/);
  });
});
