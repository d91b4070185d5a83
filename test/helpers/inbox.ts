import { type EventHandler, type ProviderLimits, type InboxEvent, MemoryStore, type Mode, type WebhookInboxOptions, createWebhookInbox } from "webhook-inbox";
import { ManualClock, TestApi, type TestChange, testProvider, testWebhook } from "webhook-inbox/testing";

export const SECRET = "test-secret";

/** An inbox over a MemoryStore and the test provider, with a manual clock and a recording handler. */
export function setupInbox(
  options: { mode?: Mode; maxBatchSize?: number; limits?: ProviderLimits; handler?: EventHandler; inbox?: Partial<WebhookInboxOptions> } = {},
) {
  const clock = new ManualClock();
  const api = new TestApi();
  const store = new MemoryStore();
  const handled: InboxEvent[] = [];
  const provider = testProvider({ secret: SECRET, api, maxBatchSize: options.maxBatchSize ?? 10, ...(options.limits ? { limits: options.limits } : {}) });
  const inbox = createWebhookInbox({
    store,
    clock,
    integrations: { acme: { provider, mode: options.mode ?? "immediate", delayMs: 1_000 } },
    handler: async (event, context) => {
      handled.push(event);
      await options.handler?.(event, context);
    },
    retryDelay: (attempt) => attempt * 10_000,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    ...options.inbox,
  });
  const send = (changes: TestChange[], id?: string) => {
    const { body, headers } = testWebhook(SECRET, changes, id);
    return inbox.receive({ integration: "acme", rawBody: Buffer.from(body), headers });
  };
  return { inbox, store, api, clock, handled, send, provider };
}

/** One change at `occurredAt` (ISO) for tenant t1. */
export function change(entityId: string, occurredAt: string, extra: Partial<TestChange> = {}): TestChange {
  return { tenantId: "t1", entityType: "invoice", entityId, occurredAt, ...extra };
}
