import { createHmac, randomBytes, randomUUID } from "node:crypto";

/** A signed webhook: the exact body bytes and the headers the provider sends with it. */
export interface SignedWebhook {
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** `intuit-signature` for a body: base64 HMAC-SHA256 keyed with the verifier token (UTF-8). */
export function signQuickBooks(body: string | Uint8Array, verifierToken: string): string {
  return createHmac("sha256", Buffer.from(verifierToken, "utf8")).update(body).digest("base64");
}

/** `x-xero-signature` for a body: base64 HMAC-SHA256 keyed with the webhook key as text (not base64-decoded). */
export function signXero(body: string | Uint8Array, webhookKey: string): string {
  return createHmac("sha256", Buffer.from(webhookKey, "utf8")).update(body).digest("base64");
}

/** One QuickBooks entity change. */
export interface QuickBooksChange {
  realmId: string;
  /** Entity name as the classic format writes it, e.g. `Invoice`. */
  name: string;
  id: string;
  /** Classic name (`Create`, `Update`, `Delete`, `Merge`, `Void`, `Emailed`). @default "Update" */
  operation?: string;
  /** ISO time of the change. @default now */
  lastUpdated?: string;
  /** Merge: the merged-away id. */
  deletedId?: string;
  /** CloudEvents only: the event id. @default a random UUID */
  eventId?: string;
}

/**
 * A classic QuickBooks webhook, signed: changes grouped by realm into `eventNotifications`, as
 * Intuit serialises them (compact JSON).
 */
export function quickBooksClassicPayload(verifierToken: string, changes: readonly QuickBooksChange[]): SignedWebhook {
  const byRealm = new Map<string, object[]>();
  for (const change of changes) {
    const entities = byRealm.get(change.realmId) ?? [];
    entities.push({
      name: change.name,
      id: change.id,
      operation: change.operation ?? "Update",
      lastUpdated: change.lastUpdated ?? new Date().toISOString(),
      ...(change.deletedId === undefined ? {} : { deletedId: change.deletedId }),
    });
    byRealm.set(change.realmId, entities);
  }
  const body = JSON.stringify({
    eventNotifications: [...byRealm].map(([realmId, entities]) => ({ realmId, dataChangeEvent: { entities } })),
  });
  return { body, headers: { "content-type": "application/json", "intuit-signature": signQuickBooks(body, verifierToken) } };
}

const CLOUD_EVENT_OPERATIONS: Record<string, string> = {
  create: "created",
  update: "updated",
  delete: "deleted",
  merge: "merged",
  void: "void",
  emailed: "emailed",
};

/**
 * A CloudEvents QuickBooks webhook, signed: a JSON array, one CloudEvent per change
 * (`type: qbo.<entity>.<op>.v1`). Sent as `application/cloudevents+json` unless told otherwise.
 */
export function quickBooksCloudEventsPayload(
  verifierToken: string,
  changes: readonly QuickBooksChange[],
  options: { contentType?: string } = {},
): SignedWebhook {
  const events = changes.map((change) => {
    const op = (change.operation ?? "Update").toLowerCase();
    return {
      specversion: "1.0",
      id: change.eventId ?? randomUUID(),
      source: "intuit.webhook-inbox-fake",
      type: `qbo.${change.name.toLowerCase()}.${CLOUD_EVENT_OPERATIONS[op] ?? op}.v1`,
      datacontenttype: "application/json",
      time: change.lastUpdated ?? new Date().toISOString(),
      intuitentityid: change.id,
      intuitaccountid: change.realmId,
      data: change.deletedId === undefined ? {} : { deletedid: change.deletedId },
    };
  });
  const body = JSON.stringify(events);
  return {
    body,
    headers: {
      "content-type": options.contentType ?? "application/cloudevents+json",
      "intuit-signature": signQuickBooks(body, verifierToken),
    },
  };
}

/** One Xero event. */
export interface XeroChange {
  tenantId: string;
  /** `INVOICE`, `CONTACT`, `CREDITNOTE`, ... */
  category: string;
  resourceId: string;
  /** @default "UPDATE" */
  eventType?: string;
  /** Xero's zone-less UTC time, e.g. `2024-06-21T01:15:39.902`. @default now */
  eventDateUtc?: string;
  /** CREDITNOTE events carry `{ Type, Status }`. */
  data?: Record<string, unknown>;
}

const XERO_PATHS: Record<string, string> = { INVOICE: "Invoices", CONTACT: "Contacts", CREDITNOTE: "CreditNotes" };

/** A random upper-case entropy string like Xero's (`GATSEZXWIBPBRNQOTMOH`). */
function entropy(): string {
  return [...randomBytes(20)].map((byte) => String.fromCharCode(65 + (byte % 26))).join("");
}

/** Xero's wire envelope: compact events, then its irregular spacing (`"firstEventSequence": 2,"lastEventSequence": 3, "entropy": "…"`). */
function xeroEnvelope(events: readonly object[], first: number, last: number, entropyText: string): string {
  return `{"events":${JSON.stringify(events)},"firstEventSequence": ${first},"lastEventSequence": ${last}, "entropy": ${JSON.stringify(entropyText)}}`;
}

/** A Xero webhook, signed, in Xero's wire format. */
export function xeroPayload(
  webhookKey: string,
  changes: readonly XeroChange[],
  options: { firstEventSequence?: number; entropy?: string } = {},
): SignedWebhook {
  const events = changes.map((change) => {
    const category = change.category.toUpperCase();
    const path = XERO_PATHS[category] ?? category;
    return {
      resourceUrl: `https://api.xero.com/api.xro/2.0/${path}/${change.resourceId}`,
      resourceId: change.resourceId,
      eventDateUtc: change.eventDateUtc ?? new Date().toISOString().replace(/Z$/, ""),
      eventType: change.eventType ?? "UPDATE",
      eventCategory: category,
      tenantId: change.tenantId,
      // SUBSCRIPTION events name the app: tenantId is the ApplicationID (Xero's webhook OpenAPI).
      tenantType: category === "SUBSCRIPTION" ? "APPLICATION" : "ORGANISATION",
      ...(change.data === undefined ? {} : { data: change.data }),
    };
  });
  const first = options.firstEventSequence ?? 1;
  const body = xeroEnvelope(events, first, first + Math.max(0, events.length - 1), options.entropy ?? entropy());
  return { body, headers: { "content-type": "application/json", "x-xero-signature": signXero(body, webhookKey) } };
}

/**
 * One intent-to-receive probe as Xero sends it: no events, sequence 0. `valid: false` gives the
 * deliberately wrong signature Xero also sends (one character changed), which must get 401.
 */
export function xeroIntentToReceive(webhookKey: string, options: { valid: boolean }): SignedWebhook {
  const body = xeroEnvelope([], 0, 0, entropy());
  const signature = signXero(body, webhookKey);
  const header = options.valid ? signature : `${signature[0] === "A" ? "B" : "A"}${signature.slice(1)}`;
  return { body, headers: { "content-type": "application/json", "x-xero-signature": header } };
}
