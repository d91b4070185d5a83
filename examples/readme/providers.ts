// README › Providers. Secrets come from your configuration; tokens from your OAuth token storage.
import { quickbooks } from "webhook-inbox/quickbooks";
import { xero } from "webhook-inbox/xero";
import { tokens } from "./tokens.ts";

export const quickBooksProvider = quickbooks({
  verifierToken: process.env.QBO_VERIFIER_TOKEN ?? "",
  getAccessToken: (realmId) => tokens.forRealm(realmId),
  // baseUrl: "https://sandbox-quickbooks.api.intuit.com", fetch, maxItemsPerBatch: 30, idsPerQuery: 100, limits: { … }
});

export const xeroProvider = xero({
  webhookKey: process.env.XERO_WEBHOOK_KEY ?? "",
  getAccessToken: (tenantId) => tokens.forTenant(tenantId),
  // dailyLimit: 1000 on Xero's Starter tier (5000 otherwise), baseUrl, fetch, limits: { … }
});
