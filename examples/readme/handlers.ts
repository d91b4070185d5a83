// README › Handlers: a catch-all, and handlers per integration and entity type ("*" = any type).
// Entity types are the provider's own names: QuickBooks "Invoice", "Customer"; Xero "CONTACT", "INVOICE".
import { type InboxEvent, MemoryStore, createWebhookInbox } from "webhook-inbox";
import { quickBooksProvider, xeroProvider } from "./providers.ts";

const invoices = new Map<string, unknown>();
const contacts = new Map<string, { name: string; email: string | null }>();
const saveInvoice = async (event: InboxEvent) => void invoices.set(`${event.tenantId}/${event.entityId}`, event.resource);

/** A Xero contact as GET /Contacts returns it (the fields this app reads). */
interface XeroContact {
  ContactID: string;
  Name: string;
  EmailAddress?: string;
}

export const inbox = createWebhookInbox({
  store: new MemoryStore(),
  integrations: { qbo: { provider: quickBooksProvider }, xero: { provider: xeroProvider, mode: "delayed" } },
  handler: async (event) => console.log("catch-all", event.integration, event.entityType, event.entityId),
  handlers: {
    qbo: {
      // tenantId = the realm id; operation "Create", "Update", "Delete", "Merge", "Void"; resource = the QuickBooks Invoice.
      Invoice: saveInvoice,
      "*": async (event) => console.log("other QuickBooks entity", event.entityType, event.resource),
    },
    xero: {
      // tenantId = the Xero tenant (organisation) id; operation "CREATE" or "UPDATE"; resource = the record from the Accounting API.
      CONTACT: async (event) => {
        const contact = event.resource as XeroContact | null;
        if (contact) contacts.set(`${event.tenantId}/${contact.ContactID}`, { name: contact.Name, email: contact.EmailAddress ?? null });
      },
      INVOICE: saveInvoice,
    },
  },
});
