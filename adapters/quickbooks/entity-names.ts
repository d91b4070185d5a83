/**
 * QuickBooks entity names. Classic payloads send `Invoice`; CloudEvents send `invoice` inside
 * `qbo.invoice.updated.v1`. Both map to the name the Query API uses, so events of either format
 * batch together and share one staleness watermark (entity list: Intuit's webhooks page,
 * developer.intuit.com/app/developer/qbo/docs/develop/webhooks).
 */
const KNOWN_ENTITIES = [
  "Account",
  "Bill",
  "BillPayment",
  "Budget",
  "ChangeOrder",
  "Class",
  "CompanyCurrency",
  "CreditMemo",
  "Currency",
  "Customer",
  "Department",
  "Deposit",
  "Employee",
  "Estimate",
  "Invoice",
  "Item",
  "JournalCode",
  "JournalEntry",
  "Payment",
  "PaymentMethod",
  "Preferences",
  "Purchase",
  "PurchaseOrder",
  "RefundReceipt",
  "SalesReceipt",
  "TaxAgency",
  "Term",
  "TimeActivity",
  "Transfer",
  "Vendor",
  "VendorCredit",
] as const;

const BY_LOWER = new Map<string, string>(KNOWN_ENTITIES.map((name) => [name.toLowerCase(), name]));

/** Query-API name of an entity: known names in their canonical case, others with a capital first letter. */
export function canonicalEntityName(name: string): string {
  return BY_LOWER.get(name.toLowerCase()) ?? name.charAt(0).toUpperCase() + name.slice(1);
}

/** Entity names are interpolated into a query, so only plain identifiers are allowed. */
export function isSafeEntityName(name: string): boolean {
  return /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(name);
}

/**
 * Name-list entities, which carry `Active`. A query returns only active ones unless it says
 * otherwise ("select * from Customer" leaves inactive customers out, Intuit's data-queries page), so
 * these are queried with `Active IN (true, false)`: an inactive customer still exists.
 */
const LIST_ENTITIES = new Set(
  [
    "Account",
    "Class",
    "CompanyCurrency",
    "Customer",
    "Department",
    "Employee",
    "Item",
    "JournalCode",
    "PaymentMethod",
    "TaxCode",
    "TaxRate",
    "Term",
    "Vendor",
  ].map((name) => name.toLowerCase()),
);

/** True for an entity whose queries must ask for inactive records too. */
export function isListEntity(name: string): boolean {
  return LIST_ENTITIES.has(name.toLowerCase());
}

/**
 * The key QuickBooks compares ids by: ids are numbers, so `000000011` (a payroll employee id as a
 * CloudEvent may carry it) and `11` name the same record. Other ids are compared case-insensitively.
 */
export function quickBooksIdKey(id: string): string {
  const trimmed = id.trim();
  if (/^\d+$/.test(trimmed)) return trimmed.replace(/^0+(?=\d)/, "");
  return trimmed.toLowerCase();
}

/** Classic operation names (`Create`, `Update`, `Delete`, `Merge`, `Void`, `Emailed`). */
const CLASSIC_OPERATIONS = new Map<string, string>([
  ["create", "Create"],
  ["created", "Create"],
  ["update", "Update"],
  ["updated", "Update"],
  ["delete", "Delete"],
  ["deleted", "Delete"],
  ["merge", "Merge"],
  ["merged", "Merge"],
  ["void", "Void"],
  ["voided", "Void"],
  ["emailed", "Emailed"],
  ["email", "Emailed"],
]);

/**
 * One operation vocabulary for both formats: CloudEvents `created` becomes `Create`, so a handler
 * does not change when the app flips Intuit's format toggle. Unknown operations are kept as sent.
 */
export function canonicalOperation(operation: string): string {
  return CLASSIC_OPERATIONS.get(operation.toLowerCase()) ?? operation;
}

/** Operations after which the named entity no longer exists (nothing to fetch). */
export function isDeleteOperation(operation: string): boolean {
  return operation === "Delete";
}
