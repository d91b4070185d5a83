// README › Handlers: a catch-all, and handlers per integration and entity type ("*" = any type).
import { type InboxEvent, MemoryStore, createWebhookInbox } from "webhook-inbox";
import { quickBooksProvider, xeroProvider } from "./providers.ts";

const invoices = new Map<string, unknown>();
const saveInvoice = async (event: InboxEvent) => void invoices.set(`${event.tenantId}/${event.entityId}`, event.resource);

export const inbox = createWebhookInbox({
  store: new MemoryStore(),
  integrations: { qbo: { provider: quickBooksProvider }, xero: { provider: xeroProvider, mode: "delayed" } },
  handler: async (event) => console.log("catch-all", event.integration, event.entityType, event.entityId),
  handlers: {
    qbo: {
      Invoice: saveInvoice,
      "*": async (event) => console.log("other QuickBooks entity", event.entityType, event.resource),
    },
  },
});
