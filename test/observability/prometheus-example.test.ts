import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore, createWebhookInbox } from "webhook-inbox";
import { quickbooks } from "webhook-inbox/quickbooks";
import { ManualClock, quickBooksClassicPayload, startFakeQuickBooks } from "webhook-inbox/testing";
import { prometheusTelemetry } from "../../examples/prometheus/telemetry.ts";

const VERIFIER = "qbo-verifier-token";
const REALM = "4620816365000000001";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

describe("examples/prometheus: the inbox's metrics scraped as Prometheus text", () => {
  it("serves deliveries, attempts, provider calls, the time to processed and the queue gauges at /metrics", async () => {
    const clock = new ManualClock("2030-01-01T00:00:00.000Z");
    const qbo = await startFakeQuickBooks({ now: () => clock.now().getTime() });
    open.push(qbo);
    qbo.records.seed(REALM, "Invoice", ["1"], (id) => ({ DocNumber: `INV-${id}` }));
    const telemetry = prometheusTelemetry();
    open.push({ close: telemetry.shutdown });
    const inbox = createWebhookInbox({
      store: new MemoryStore(),
      clock,
      integrations: { qbo: { provider: quickbooks({ verifierToken: VERIFIER, getAccessToken: () => "token", baseUrl: qbo.url }), mode: "delayed" } },
      handler: () => {},
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      instrumentation: telemetry.instrumentation,
    });
    const server = createServer(telemetry.metrics);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    open.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    const scrape = async () => (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`)).text();

    const signed = quickBooksClassicPayload(VERIFIER, [{ realmId: REALM, name: "Invoice", id: "1", lastUpdated: "2029-12-31T23:59:00.000Z" }]);
    await inbox.receive({ integration: "qbo", rawBody: new TextEncoder().encode(signed.body), headers: signed.headers });
    clock.advance(90_000);
    const waiting = await scrape();
    // Names as Prometheus sees them: dots become underscores, counters end in _total; the exporter adds otel_scope_name.
    expect(waiting).toMatch(/^webhook_inbox_queue_depth\{webhook_inbox_integration="qbo",webhook_inbox_event_status="queued"[^}]*\} 1$/m);
    expect(waiting).toMatch(/^webhook_inbox_queue_oldest_due_age\{[^}]*\} 89$/m);

    await inbox.runDue();
    const text = await scrape();
    expect(text).toMatch(
      /^webhook_inbox_deliveries_total\{webhook_inbox_integration="qbo",webhook_inbox_provider="quickbooks",webhook_inbox_delivery_outcome="accepted"[^}]*\} 1$/m,
    );
    expect(text).toMatch(/^webhook_inbox_attempts_total\{[^}]*webhook_inbox_attempt_outcome="succeeded"[^}]*\} 1$/m);
    expect(text).toMatch(/^webhook_inbox_events_finished_total\{[^}]*webhook_inbox_event_status="succeeded"[^}]*\} 1$/m);
    expect(text).toMatch(/^webhook_inbox_provider_calls_total\{[^}]*webhook_inbox_provider_call_outcome="ok"[^}]*\} 1$/m);
    expect(text).toMatch(/^webhook_inbox_event_time_to_finished_sum\{[^}]*\} 90$/m);
    expect(text).toMatch(/^webhook_inbox_queue_oldest_due_age\{[^}]*\} 0$/m);
    expect(text).not.toMatch(/webhook_inbox_tenant_id/);
  });
});
