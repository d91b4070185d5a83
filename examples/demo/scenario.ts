import { createHash } from "node:crypto";
import {
  type FakeQuickBooks,
  type FakeXero,
  type QuickBooksChange,
  type SignedWebhook,
  type XeroChange,
  quickBooksClassicPayload,
  quickBooksCloudEventsPayload,
  xeroPayload,
} from "webhook-inbox/testing";

export const QBO_VERIFIER_TOKEN = "demo-verifier-token";
export const XERO_WEBHOOK_KEY = "demo-xero-webhook-key";
export const QBO_REALMS = ["9130350000000001", "9130350000000002"] as const;
export const XERO_TENANTS = ["5f2a3c1e-0000-4000-8000-00000000000a", "5f2a3c1e-0000-4000-8000-00000000000b"] as const;

/** The invoice whose handler always fails: its downloaded data has a negative total, which the host's own validation rejects. */
export const POISON = { realmId: QBO_REALMS[1], entityType: "Invoice", entityId: "13" } as const;
/** Entities whose first download fails once (the fake answers a Fault, then recovers). */
export const FLAKY_QBO_IDS = ["7", "42"] as const;
/** The entity of the out-of-order pair: its newer change is processed first, the older one arrives late. */
export const OUT_OF_ORDER = { realmId: QBO_REALMS[0], entityType: "Invoice", entityId: "900" } as const;

/** One webhook to send: where, and the signed bytes. */
export interface PlannedWebhook {
  readonly integration: "quickbooks" | "xero";
  readonly webhook: SignedWebhook;
  /** A verbatim resend of an earlier webhook (a provider retry). */
  readonly duplicate: boolean;
}

export interface Scenario {
  readonly burst: PlannedWebhook[];
  /** Sent after the burst is processed: the older half of the out-of-order pair. */
  readonly late: PlannedWebhook;
  /** Distinct entities named by the scenario. */
  readonly entities: number;
}

/** A Xero-style GUID, stable per seed. */
function guid(seed: string): string {
  const hex = createHash("sha256").update(seed).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A deterministic pseudo-random source, so every demo run sends the same burst. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const at = (base: number, seconds: number) => new Date(base + seconds * 1_000).toISOString();

/**
 * Seeds the fakes and plans the burst: a few hundred QuickBooks invoices and customers changed one to
 * three times each, sent in classic and CloudEvents webhooks naming 1-4 entities; Xero contacts,
 * invoices and credit notes; 20 verbatim resends; and the out-of-order pair.
 */
export function buildScenario(quickBooks: FakeQuickBooks, xero: FakeXero, now = Date.now()): Scenario {
  const next = random(42);
  const qboChanges: QuickBooksChange[] = [];
  let entities = 0;
  for (const realmId of QBO_REALMS) {
    for (const [name, count] of [
      ["Invoice", 120],
      ["Customer", 40],
    ] as const) {
      for (let i = 1; i <= count; i += 1) {
        const id = String(i);
        quickBooks.records.set(realmId, name, id, { DisplayName: `${name} ${id}`, TotalAmt: i * 10 });
        entities += 1;
        const updates = 1 + Math.floor(next() * 3);
        for (let u = 0; u < updates; u += 1) {
          qboChanges.push({ realmId, name, id, operation: u === 0 && next() < 0.3 ? "Create" : "Update", lastUpdated: at(now, -300 + u * 20 + next() * 10) });
        }
      }
    }
  }
  // The poison invoice gets exactly one change, so exactly one event fails.
  const poisonIndex = qboChanges.findIndex((c) => c.realmId === POISON.realmId && c.name === POISON.entityType && c.id === POISON.entityId);
  qboChanges.splice(poisonIndex, qboChanges.filter((c) => c.realmId === POISON.realmId && c.name === POISON.entityType && c.id === POISON.entityId).length, {
    realmId: POISON.realmId,
    name: POISON.entityType,
    id: POISON.entityId,
    operation: "Update",
    lastUpdated: at(now, -200),
  });
  // Its data is what makes it fail, so the dashboard's Resource Data shows the reason its error gives.
  quickBooks.records.set(POISON.realmId, POISON.entityType, POISON.entityId, { DisplayName: `${POISON.entityType} ${POISON.entityId}`, TotalAmt: -130 });
  for (const id of FLAKY_QBO_IDS) quickBooks.failNext(id);

  quickBooks.records.set(OUT_OF_ORDER.realmId, OUT_OF_ORDER.entityType, OUT_OF_ORDER.entityId, { DisplayName: "Out-of-order invoice", TotalAmt: 900 });
  entities += 1;
  const newer = { realmId: OUT_OF_ORDER.realmId, name: OUT_OF_ORDER.entityType, id: OUT_OF_ORDER.entityId, lastUpdated: at(now, -10) };
  const older = { ...newer, lastUpdated: at(now, -60) };

  const burst: PlannedWebhook[] = [];
  for (let i = 0; i < qboChanges.length; ) {
    const size = 1 + Math.floor(next() * 4);
    const slice = qboChanges.slice(i, i + size);
    i += size;
    const webhook = next() < 0.25 ? quickBooksCloudEventsPayload(QBO_VERIFIER_TOKEN, slice) : quickBooksClassicPayload(QBO_VERIFIER_TOKEN, slice);
    burst.push({ integration: "quickbooks", webhook, duplicate: false });
  }
  burst.push({ integration: "quickbooks", webhook: quickBooksClassicPayload(QBO_VERIFIER_TOKEN, [newer]), duplicate: false });

  const xeroChanges: XeroChange[] = [];
  for (const tenantId of XERO_TENANTS) {
    for (const [category, count] of [
      ["CONTACT", 60],
      ["INVOICE", 40],
      ["CREDITNOTE", 4],
    ] as const) {
      for (let i = 1; i <= count; i += 1) {
        const id = guid(`${tenantId}/${category}/${i}`);
        xero.records.set(tenantId, category, id, { Name: `${category.toLowerCase()} ${i}` });
        entities += 1;
        const updates = 1 + Math.floor(next() * 2);
        for (let u = 0; u < updates; u += 1) {
          xeroChanges.push({
            tenantId,
            category,
            resourceId: id,
            eventType: u === 0 ? "CREATE" : "UPDATE",
            eventDateUtc: at(now, -240 + u * 30 + next() * 10).replace(/Z$/, ""),
            ...(category === "CREDITNOTE" ? { data: { Type: "ACCRECCREDIT", Status: "AUTHORISED" } } : {}),
          });
        }
      }
    }
  }
  let sequence = 1;
  for (let i = 0; i < xeroChanges.length; ) {
    const size = 1 + Math.floor(next() * 5);
    const slice = xeroChanges.slice(i, i + size);
    i += size;
    burst.push({ integration: "xero", webhook: xeroPayload(XERO_WEBHOOK_KEY, slice, { firstEventSequence: sequence }), duplicate: false });
    sequence += slice.length;
  }

  // Providers resend what they think was not acknowledged: 20 verbatim copies.
  const originals = burst.slice();
  for (let i = 0; i < 20; i += 1) {
    const original = originals[Math.floor(next() * originals.length)]!;
    burst.push({ ...original, duplicate: true });
  }
  // Interleave providers and resends as they would arrive.
  for (let i = burst.length - 1; i > 0; i -= 1) {
    const j = Math.floor(next() * (i + 1));
    [burst[i], burst[j]] = [burst[j]!, burst[i]!];
  }
  // A resend never arrives before its original.
  const firstSeen = new Set<PlannedWebhook["webhook"]>();
  for (let i = 0; i < burst.length; i += 1) {
    const item = burst[i]!;
    if (!firstSeen.has(item.webhook)) {
      firstSeen.add(item.webhook);
      if (item.duplicate) burst[i] = { ...item, duplicate: false };
    } else if (!item.duplicate) burst[i] = { ...item, duplicate: true };
  }

  return { burst, late: { integration: "quickbooks", webhook: quickBooksClassicPayload(QBO_VERIFIER_TOKEN, [older]), duplicate: false }, entities };
}
