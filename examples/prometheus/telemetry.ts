// README › Observability: the inbox's metrics for Prometheus (OpenTelemetry's Prometheus exporter), served at /metrics by the app's own server.
import type { IncomingMessage, ServerResponse } from "node:http";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { openTelemetry } from "webhook-inbox/opentelemetry";

/** An `instrumentation` for `createWebhookInbox`, and the `/metrics` handler Prometheus scrapes. */
export function prometheusTelemetry() {
  // No server of its own: the host mounts `metrics` on its app (or drop preventServerStart for :9464).
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  return {
    // Spans go to the global tracer provider (a no-op until the host registers one, e.g. with NodeSDK).
    instrumentation: openTelemetry({ meterProvider }),
    metrics: (request: IncomingMessage, response: ServerResponse) => exporter.getMetricsRequestHandler(request, response),
    shutdown: () => meterProvider.shutdown(),
  };
}
