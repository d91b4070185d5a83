import type { ProviderAdapter } from "../../src/index.ts";
import { quickbooks } from "../../adapters/quickbooks/index.ts";
import { xero, type XeroLimitsOverride, type XeroOptions } from "../../adapters/xero/index.ts";
import { startFakeQuickBooks, startFakeXero, type FakeQuickBooks, type FakeXero } from "../../src/testing/index.ts";
import { QBO_VERIFIER_TOKEN, XERO_WEBHOOK_KEY, type BenchEntity } from "./workload.ts";

/** Both fake APIs with every limit lifted: calls are counted, never refused. */
export async function startRelaxedFakes(): Promise<{ qbo: FakeQuickBooks; xero: FakeXero; close(): Promise<void> }> {
  const qbo = await startFakeQuickBooks({ limits: { concurrency: 10_000, windows: [] } });
  const fakeXero = await startFakeXero({ limits: { concurrency: 10_000, minute: 1e9, day: 1e9, appMinute: 1e9 } });
  return { qbo, xero: fakeXero, close: async () => void (await Promise.all([qbo.close(), fakeXero.close()])) };
}

/** Seeds a record for every entity, so every fetch finds its data. */
export function seed(fakes: { qbo?: FakeQuickBooks; xero?: FakeXero }, entities: readonly BenchEntity[]): void {
  for (const entity of entities) {
    const fake = entity.provider === "quickbooks" ? fakes.qbo : fakes.xero;
    fake?.records.set(entity.tenantId, entity.entityType, entity.entityId, { Total: 10 });
  }
}

/** The QuickBooks provider against a fake, with no rate windows (nothing to wait for). */
export function relaxedQuickBooks(fake: FakeQuickBooks): ProviderAdapter {
  return quickbooks({
    verifierToken: QBO_VERIFIER_TOKEN,
    getAccessToken: () => "bench-token",
    baseUrl: fake.url,
    limits: { tenant: { windows: [] }, app: null },
  });
}

/** The Xero provider against a fake: no windows when relaxed, or the given limits. */
export function xeroAgainst(fake: FakeXero, limits?: XeroLimitsOverride): ProviderAdapter {
  return xero({
    webhookKey: XERO_WEBHOOK_KEY,
    getAccessToken: () => "bench-token",
    baseUrl: fake.url,
    limits: (limits ?? { tenant: { windows: [] }, app: null }) as XeroOptions["limits"],
  });
}

/** One GET of one record, as a hand-written worker would do it (QuickBooks read / Xero by id). */
export async function fetchOne(fakes: { qbo: FakeQuickBooks; xero: FakeXero }, entity: BenchEntity): Promise<void> {
  const paths: Record<string, string> = { INVOICE: "Invoices", CONTACT: "Contacts", CREDITNOTE: "CreditNotes" };
  const response =
    entity.provider === "quickbooks"
      ? await fetch(`${fakes.qbo.url}/v3/company/${entity.tenantId}/${entity.entityType.toLowerCase()}/${entity.entityId}`, {
          headers: { authorization: "Bearer bench-token", accept: "application/json" },
        })
      : await fetch(`${fakes.xero.url}/${paths[entity.entityType]}/${entity.entityId}`, {
          headers: { authorization: "Bearer bench-token", accept: "application/json", "xero-tenant-id": entity.tenantId },
        });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`fetch of ${entity.entityType} ${entity.entityId} answered ${response.status}`);
}
