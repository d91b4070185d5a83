/**
 * The inbox every ingest measurement runs: QuickBooks at /webhooks/qbo and Xero at /webhooks/xero, both
 * in `delayed` mode with an hour's delay, so every webhook is verified, parsed and stored with its
 * events and nothing is processed during the run (processing would compete for the same CPU; it is
 * measured on its own in the throughput section). Also the store that keeps nothing (the ceiling row),
 * the one that keeps what it is handed and indexes nothing (the floor of an in-memory store) and a
 * bench request as `receive()` gets it from an HTTP route.
 */
import {
  createWebhookInbox,
  MemoryStore,
  type EventCount,
  type InsertDeliveryResult,
  type NewDelivery,
  type NewEvent,
  type ReceiveInput,
  type WebhookProcessor,
  type WebhookStore,
} from "../../src/index.ts";
import { quickbooks } from "../../adapters/quickbooks/index.ts";
import { xero } from "../../adapters/xero/index.ts";
import { QBO_PATH, type IngestRequest } from "./ingest-payloads.ts";
import { silentLogger } from "./silent-logger.ts";
import { QBO_VERIFIER_TOKEN, XERO_WEBHOOK_KEY } from "./workload.ts";

/** The bench's two integrations (also what a store micro parses again after the ack). */
export const BENCH_INTEGRATIONS = {
  qbo: { provider: quickbooks({ verifierToken: QBO_VERIFIER_TOKEN, getAccessToken: () => "unused" }), mode: "delayed" as const, delayMs: 3_600_000 },
  xero: { provider: xero({ webhookKey: XERO_WEBHOOK_KEY, getAccessToken: () => "unused" }), mode: "delayed" as const, delayMs: 3_600_000 },
};

/** The bench's inbox on `store` (not started). */
export function createBenchInbox(store: WebhookStore): WebhookProcessor {
  return createWebhookInbox({ store, logger: silentLogger, integrations: BENCH_INTEGRATIONS, handler: async () => {} });
}

/**
 * The ceiling of any store: the whole receive pipeline (screen, verify, parse, build the delivery and
 * its events, answer) in front of a store whose insert keeps nothing and resolves at once. Its counts
 * are the events it was handed, so the bench checks, as for every store, that each acknowledged
 * webhook reached it.
 */
export class DiscardingStore extends MemoryStore {
  #handed = 0;
  override async insertDelivery({ delivery, events }: { delivery: NewDelivery; events: readonly NewEvent[] }): Promise<InsertDeliveryResult> {
    this.#handed += events.length;
    return { status: "inserted", deliveryId: delivery.id };
  }
  override async countEvents(): Promise<EventCount[]> {
    return [{ integration: "*", status: "queued", count: this.#handed }];
  }
}

/**
 * The floor of any in-memory store: keeps every delivery and its events as it was handed them (so the
 * GC carries them as MemoryStore's records would be carried) and indexes nothing.
 */
export class KeepingStore extends DiscardingStore {
  readonly #kept: { delivery: NewDelivery; events: readonly NewEvent[] }[] = [];
  override async insertDelivery(input: { delivery: NewDelivery; events: readonly NewEvent[] }): Promise<InsertDeliveryResult> {
    this.#kept.push(input);
    return super.insertDelivery(input);
  }
}

/** A bench request as the HTTP route hands it to `receive()` (with the headers autocannon adds). */
export function receiveInputOf(request: IngestRequest): ReceiveInput {
  return {
    integration: request.path === QBO_PATH ? "qbo" : "xero",
    method: "POST",
    headers: { ...request.headers, host: "127.0.0.1", "content-length": String(Buffer.byteLength(request.body)), "user-agent": "autocannon" },
    rawBody: new Uint8Array(Buffer.from(request.body)),
  };
}
