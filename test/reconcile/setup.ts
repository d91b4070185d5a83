// Shared setup of the reconciliation tests: an inbox over the fake QuickBooks on one manual clock.
import { createWebhookInbox, MemoryStore, type InboxEvent, type WebhookProcessor, type WebhookStore } from "webhook-inbox";
import { quickbooks } from "webhook-inbox/quickbooks";
import { ManualClock, quickBooksClassicPayload, startFakeQuickBooks, type FakeQuickBooks } from "webhook-inbox/testing";

export const VERIFIER = "qbo-verifier-token";
export const REALM = "4620816365000000001";
export const START = new Date("2030-01-01T00:00:00.000Z");

export interface QuickBooksSetup {
  inbox: WebhookProcessor;
  clock: ManualClock;
  qbo: FakeQuickBooks;
  store: WebhookStore;
  handled: InboxEvent[];
  /** Sends the webhook QuickBooks would send for a record's current version (or its deletion). */
  notify(entityType: string, id: string, operation?: "Update" | "Delete"): Promise<number>;
  close(): Promise<void>;
}

export async function setupQuickBooks(options: { entityTypes?: string[]; budgetShare?: number; store?: WebhookStore } = {}): Promise<QuickBooksSetup> {
  const clock = new ManualClock(START);
  const qbo = await startFakeQuickBooks({ now: () => clock.now().getTime() });
  const store = options.store ?? new MemoryStore();
  const handled: InboxEvent[] = [];
  const inbox = createWebhookInbox({
    store,
    clock,
    integrations: {
      qbo: {
        provider: quickbooks({ verifierToken: VERIFIER, getAccessToken: () => "qbo-token", baseUrl: qbo.url }),
        mode: "immediate",
        reconcile: { entityTypes: options.entityTypes ?? ["Invoice", "Customer"], budgetShare: options.budgetShare ?? 0.5 },
      },
    },
    handler: (event) => {
      handled.push(event);
    },
    claimBatchSize: 5_000,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  const notify = async (entityType: string, id: string, operation: "Update" | "Delete" = "Update") => {
    const record = qbo.records.get(REALM, entityType, id) as { MetaData: { LastUpdatedTime: string } } | undefined;
    const lastUpdated = operation === "Delete" ? clock.now().toISOString() : record!.MetaData.LastUpdatedTime;
    const signed = quickBooksClassicPayload(VERIFIER, [{ realmId: REALM, name: entityType, id, operation, lastUpdated }]);
    const answer = await inbox.receive({ integration: "qbo", rawBody: new TextEncoder().encode(signed.body), headers: signed.headers });
    return answer.status;
  };
  return {
    inbox,
    clock,
    qbo,
    store,
    handled,
    notify,
    close: async () => {
      await inbox.stop();
      await qbo.close();
    },
  };
}

/** A seeded generator (mulberry32): the same drops on every run. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** What the handler was given, as "type/id@version" (`deleted` for a deletion). */
export function versionOf(event: InboxEvent): string {
  const resource = event.resource as { SyncToken?: string } | null;
  return `${event.entityType}/${event.entityId}@${resource === null ? "deleted" : resource.SyncToken}`;
}
