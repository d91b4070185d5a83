// The OpenTelemetry instrumentation's options: their zod schema and defaults.
import type { MeterProvider, TracerProvider } from "@opentelemetry/api";
import { z } from "zod";
import { validateOptions } from "../../src/adapter-kit/index.ts";

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

const openTelemetryOptionsSchema = z.strictObject({
  /** Where spans go. @default the global tracer provider (`trace.getTracerProvider()`, a proxy: registering one later works) */
  tracerProvider: z
    .custom<TracerProvider>((value) => isObject(value) && typeof value.getTracer === "function", {
      error: "tracerProvider must have getTracer() (an OpenTelemetry TracerProvider)",
    })
    .optional(),
  /** Where metrics go. @default the global meter provider, as registered when `openTelemetry()` is called */
  meterProvider: z
    .custom<MeterProvider>((value) => isObject(value) && typeof value.getMeter === "function", {
      error: "meterProvider must have getMeter() (an OpenTelemetry MeterProvider)",
    })
    .optional(),
  /**
   * Adds `webhook_inbox.tenant.id` to the per-event and per-call metrics. Off by default: one time
   * series per tenant grows without bound; tenants are always on spans (and in the logs).
   * @default false
   */
  tenantIdInMetrics: z.boolean().default(false),
  /**
   * Deliveries whose receive span this process remembers, so the handler attempts of their events
   * link to it (oldest forgotten first; 0 turns links off). @default 10_000
   */
  linkedDeliveries: z.number().int().min(0).max(1_000_000).default(10_000),
});

export type OpenTelemetryOptions = z.input<typeof openTelemetryOptionsSchema>;
export type ResolvedOpenTelemetryOptions = z.output<typeof openTelemetryOptionsSchema>;

export function parseOpenTelemetryOptions(input: unknown): ResolvedOpenTelemetryOptions {
  return validateOptions(openTelemetryOptionsSchema, input, "openTelemetry() options", { format: "pretty" });
}
