/** How one webhook category is read back from the Accounting API. */
export interface XeroEndpoint {
  /** Path under the API base, e.g. `Invoices`. */
  readonly path: string;
  /** Key of the record array in the response, e.g. `Invoices`. */
  readonly collection: string;
  /** Id field of one record, e.g. `InvoiceID`. */
  readonly idField: string;
  /** Whether `GET /{path}?IDs=a,b,...` exists (OpenAPI: Invoices, Contacts, Budgets only). */
  readonly multiId: boolean;
}

/**
 * Webhook categories (`eventCategory`, upper-cased) and their endpoints (Xero Accounting OpenAPI: only these have `IDs=`).
 * Credit notes have no `IDs=` parameter; Xero staff advise getting them one by one.
 * SUBSCRIPTION events name an application, not an Accounting record, so they have no endpoint.
 */
export const XERO_ENDPOINTS: Readonly<Record<string, XeroEndpoint>> = {
  INVOICE: { path: "Invoices", collection: "Invoices", idField: "InvoiceID", multiId: true },
  CONTACT: { path: "Contacts", collection: "Contacts", idField: "ContactID", multiId: true },
  CREDITNOTE: { path: "CreditNotes", collection: "CreditNotes", idField: "CreditNoteID", multiId: false },
};

/** Endpoint of a category, whatever its case. */
export function xeroEndpoint(entityType: string): XeroEndpoint | undefined {
  return XERO_ENDPOINTS[entityType.toUpperCase()];
}
