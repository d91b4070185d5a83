/**
 * The webhooks the ingest measurement sends, as the providers send them: one-entity QuickBooks
 * notifications, and a provider mix of 1–10 changes per webhook (QuickBooks classic, QuickBooks
 * CloudEvents and Xero event batches in turn). Every webhook is distinct and correctly signed.
 */
import { randomUUID } from "node:crypto";
import { quickBooksClassicPayload, quickBooksCloudEventsPayload, xeroPayload, type SignedWebhook } from "../../src/testing/index.ts";
import { guid, QBO_VERIFIER_TOKEN, XERO_WEBHOOK_KEY } from "./workload.ts";

/** The payload mixes the bench measures. */
export const INGEST_WORKLOADS = ["one-entity", "mixed-1-10"] as const;
export type IngestWorkload = (typeof INGEST_WORKLOADS)[number];

export const WORKLOAD_LABELS: Record<IngestWorkload, string> = {
  "one-entity": "QuickBooks classic, 1 entity per webhook",
  "mixed-1-10": "QuickBooks classic + CloudEvents + Xero, 1–10 entities per webhook",
};

/** Paths every server variant serves, one per provider. */
export const QBO_PATH = "/webhooks/qbo";
export const XERO_PATH = "/webhooks/xero";

/** One request to send, with the number of entity changes it names. */
export interface IngestRequest extends SignedWebhook {
  readonly path: string;
  readonly entities: number;
}

const REALMS = ["9130000000000001", "9130000000000002", "9130000000000003", "9130000000000004"];
const QBO_TYPES = ["Invoice", "Customer", "Payment", "Bill", "Item"];
const XERO_TENANTS = [guid(0xace0, 0), guid(0xace1, 0)];
const XERO_CATEGORIES = ["INVOICE", "CONTACT", "CREDITNOTE"];
const BASE = Date.UTC(2025, 0, 6, 9);

/** A deterministic generator of distinct webhooks for one workload (seeded, so rounds repeat). */
export function requestFactory(workload: IngestWorkload, seed = 1): () => IngestRequest {
  let counter = 0;
  // A small LCG: deterministic sizes 1–10 without Math.random's per-process seed.
  let state = seed >>> 0 || 1;
  const nextSize = () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return 1 + (state % 10);
  };
  return () => {
    counter += 1;
    if (workload === "one-entity") {
      const signed = quickBooksClassicPayload(QBO_VERIFIER_TOKEN, [
        {
          realmId: REALMS[counter % REALMS.length]!,
          name: QBO_TYPES[counter % 3]!,
          id: String(100_000 + counter),
          operation: "Update",
          lastUpdated: new Date(BASE + counter).toISOString(),
        },
      ]);
      return { ...signed, path: QBO_PATH, entities: 1 };
    }
    const size = nextSize();
    const kind = counter % 3;
    if (kind === 2) {
      const tenantId = XERO_TENANTS[counter % XERO_TENANTS.length]!;
      const changes = Array.from({ length: size }, (_, index) => ({
        tenantId,
        category: XERO_CATEGORIES[(counter + index) % XERO_CATEGORIES.length]!,
        resourceId: guid(counter % 65_536, index + 1),
        eventDateUtc: new Date(BASE + counter * 10 + index).toISOString().replace(/Z$/, ""),
      }));
      const signed = xeroPayload(XERO_WEBHOOK_KEY, changes, { entropy: randomUUID().replace(/-/g, "").toUpperCase().slice(0, 20) });
      return { ...signed, path: XERO_PATH, entities: size };
    }
    const realmId = REALMS[counter % REALMS.length]!;
    const changes = Array.from({ length: size }, (_, index) => ({
      realmId,
      name: QBO_TYPES[(counter + index) % QBO_TYPES.length]!,
      id: String(1_000_000 + counter * 10 + index),
      operation: "Update",
      lastUpdated: new Date(BASE + counter * 10 + index).toISOString(),
    }));
    const signed = kind === 0 ? quickBooksClassicPayload(QBO_VERIFIER_TOKEN, changes) : quickBooksCloudEventsPayload(QBO_VERIFIER_TOKEN, changes);
    return { ...signed, path: QBO_PATH, entities: size };
  };
}
