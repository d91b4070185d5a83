import { randomUUID } from "node:crypto";
import { quickBooksClassicPayload, xeroPayload, type SignedWebhook } from "../../src/testing/index.ts";

/** Secrets the bench signs with (test values, never real ones). */
export const QBO_VERIFIER_TOKEN = "bench-verifier-token";
export const XERO_WEBHOOK_KEY = "bench-xero-webhook-key";

/** One entity the workload changes. */
export interface BenchEntity {
  readonly provider: "quickbooks" | "xero";
  readonly tenantId: string;
  /** QuickBooks entity name (`Invoice`) or Xero category (`INVOICE`). */
  readonly entityType: string;
  readonly entityId: string;
}

/** Entity types and their weights per provider: most changes are invoices and customers. */
const QBO_TYPES: readonly (readonly [string, number])[] = [
  ["Invoice", 5],
  ["Customer", 3],
  ["Payment", 2],
];
const XERO_TYPES: readonly (readonly [string, number])[] = [
  ["INVOICE", 6],
  ["CONTACT", 3],
  // Xero's CreditNotes have no IDs= filter: one call per record, so the minimum counts them one by one.
  ["CREDITNOTE", 1],
];

/** A deterministic GUID-looking id, so runs repeat (Xero ids must be GUIDs). */
export function guid(prefix: number, index: number): string {
  const hex = (prefix * 1_000_003 + index).toString(16).padStart(12, "0").slice(-12);
  return `${prefix.toString(16).padStart(8, "0")}-0000-4000-8000-${hex}`;
}

/**
 * `count` distinct entities spread over providers, tenants and types (weighted). QuickBooks ids are
 * numbers as text, Xero ids GUIDs.
 */
export function makeEntities(
  count: number,
  options: { qboRealms: number; xeroTenants: number; providers?: readonly ("quickbooks" | "xero")[] },
): BenchEntity[] {
  const providers = options.providers ?? ["quickbooks", "xero"];
  const slots: { provider: "quickbooks" | "xero"; tenantId: string; entityType: string; weight: number }[] = [];
  for (const provider of providers) {
    const tenants = provider === "quickbooks" ? options.qboRealms : options.xeroTenants;
    const types = provider === "quickbooks" ? QBO_TYPES : XERO_TYPES;
    for (let t = 0; t < tenants; t += 1) {
      const tenantId = provider === "quickbooks" ? String(9_130_000_000_000_000 + t * 7919) : guid(0xace0 + t, 0);
      for (const [entityType, weight] of types) slots.push({ provider, tenantId, entityType, weight });
    }
  }
  const total = slots.reduce((sum, slot) => sum + slot.weight, 0);
  const entities: BenchEntity[] = [];
  // Spread by weight, deterministic: slot i takes round(count * weight / total), the last one the rest.
  let given = 0;
  slots.forEach((slot, index) => {
    const share = index === slots.length - 1 ? count - given : Math.round((count * slot.weight) / total);
    given += share;
    for (let i = 0; i < share; i += 1) {
      const entityId = slot.provider === "quickbooks" ? String(1000 + index * 100_000 + i) : guid(index + 1, i);
      entities.push({ provider: slot.provider, tenantId: slot.tenantId, entityType: slot.entityType, entityId });
    }
  });
  return entities;
}

/** One change of an entity at a time, signed as its provider sends it (one change per webhook). */
export function signedChange(entity: BenchEntity, occurredAt: Date): SignedWebhook {
  if (entity.provider === "quickbooks") {
    return quickBooksClassicPayload(QBO_VERIFIER_TOKEN, [
      { realmId: entity.tenantId, name: entity.entityType, id: entity.entityId, operation: "Update", lastUpdated: occurredAt.toISOString() },
    ]);
  }
  return xeroPayload(
    XERO_WEBHOOK_KEY,
    [
      {
        tenantId: entity.tenantId,
        category: entity.entityType,
        resourceId: entity.entityId,
        eventType: "UPDATE",
        eventDateUtc: occurredAt.toISOString().replace(/Z$/, ""),
      },
    ],
    { entropy: randomUUID().replace(/-/g, "").toUpperCase().slice(0, 20) },
  );
}

/**
 * `webhooks` changes over the entities, round-robin so every entity changes `webhooks / entities`
 * times, each change later than the previous one (what a busy company's edits look like).
 */
export function changeSchedule(
  entities: readonly BenchEntity[],
  webhooks: number,
  start = Date.UTC(2025, 0, 6, 9),
): { entity: BenchEntity; occurredAt: Date }[] {
  const schedule: { entity: BenchEntity; occurredAt: Date }[] = [];
  for (let i = 0; i < webhooks; i += 1) schedule.push({ entity: entities[i % entities.length]!, occurredAt: new Date(start + i * 1_000) });
  return schedule;
}

/** Distinct (provider, tenant, type) groups with their entity counts. */
export function groupCounts(entities: readonly BenchEntity[]): Map<string, { entity: BenchEntity; count: number }> {
  const groups = new Map<string, { entity: BenchEntity; count: number }>();
  for (const entity of entities) {
    const key = `${entity.provider}\u0000${entity.tenantId}\u0000${entity.entityType}`;
    const group = groups.get(key);
    if (group) group.count += 1;
    else groups.set(key, { entity, count: 1 });
  }
  return groups;
}

/** A signed webhook ready to send, with the integration it goes to and how many changes it names. */
export interface PreparedWebhook extends SignedWebhook {
  readonly integration: "qbo" | "xero";
  readonly changes: number;
}

/** Each change in its own webhook, in schedule order (arrivals ordered by time). */
export function oneChangePerWebhook(schedule: readonly { entity: BenchEntity; occurredAt: Date }[]): PreparedWebhook[] {
  return schedule.map(({ entity, occurredAt }) => ({
    ...signedChange(entity, occurredAt),
    integration: entity.provider === "quickbooks" ? "qbo" : "xero",
    changes: 1,
  }));
}

/**
 * The same changes as providers really deliver them: shuffled (arrivals out of order, tenants and
 * types interleaved), then packed 1–10 to a webhook per (provider, tenant), the webhooks of all
 * tenants interleaved. Deterministic for a seed.
 */
export function shuffledWebhooks(schedule: readonly { entity: BenchEntity; occurredAt: Date }[], seed = 7): PreparedWebhook[] {
  let state = seed >>> 0 || 1;
  const random = () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
  const shuffled = [...schedule];
  for (let i = shuffled.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const byTenant = new Map<string, { entity: BenchEntity; occurredAt: Date }[]>();
  for (const change of shuffled) {
    const key = `${change.entity.provider}\u0000${change.entity.tenantId}`;
    const list = byTenant.get(key) ?? [];
    list.push(change);
    byTenant.set(key, list);
  }
  const webhooks: PreparedWebhook[] = [];
  const queues = [...byTenant.values()];
  while (queues.some((queue) => queue.length > 0)) {
    const open = queues.filter((queue) => queue.length > 0);
    const queue = open[Math.floor(random() * open.length)]!;
    const batch = queue.splice(0, 1 + Math.floor(random() * 10));
    const first = batch[0]!.entity;
    if (first.provider === "quickbooks") {
      const signed = quickBooksClassicPayload(
        QBO_VERIFIER_TOKEN,
        batch.map(({ entity, occurredAt }) => ({
          realmId: entity.tenantId,
          name: entity.entityType,
          id: entity.entityId,
          operation: "Update",
          lastUpdated: occurredAt.toISOString(),
        })),
      );
      webhooks.push({ ...signed, integration: "qbo", changes: batch.length });
    } else {
      const signed = xeroPayload(
        XERO_WEBHOOK_KEY,
        batch.map(({ entity, occurredAt }) => ({
          tenantId: entity.tenantId,
          category: entity.entityType,
          resourceId: entity.entityId,
          eventType: "UPDATE",
          eventDateUtc: occurredAt.toISOString().replace(/Z$/, ""),
        })),
        { entropy: randomUUID().replace(/-/g, "").toUpperCase().slice(0, 20) },
      );
      webhooks.push({ ...signed, integration: "xero", changes: batch.length });
    }
  }
  return webhooks;
}
