// README › Token refresh: QuickBooks and Xero access tokens refreshed once per expiry across every instance, rotated refresh tokens stored first.
import { type RefreshedTokens, type WebhookStore, singleFlightTokens } from "webhook-inbox";
import { quickbooks } from "webhook-inbox/quickbooks";
import { xero } from "webhook-inbox/xero";

/** The token endpoint's answer or its RFC 6749 error (`{ error: "invalid_grant" }` when the grant is gone). */
async function refreshAt(url: string, clientId: string, clientSecret: string, refreshToken: string, signal: AbortSignal): Promise<RefreshedTokens> {
  const response = await fetch(url, {
    method: "POST",
    signal,
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken }),
  });
  const body = (await response.json()) as { access_token?: string; refresh_token?: string; expires_in?: number; error?: string };
  // An error carrying `error: "invalid_grant"` marks the tenant "needs re-authorisation" (its events wait).
  if (!response.ok || !body.access_token)
    throw Object.assign(new Error(`token refresh failed: HTTP ${response.status} ${body.error ?? ""}`), { error: body.error });
  return { accessToken: body.access_token, refreshToken: body.refresh_token ?? refreshToken, expiresIn: body.expires_in ?? 1800 };
}

export function providersWithSharedTokens(store: WebhookStore) {
  const qboTokens = singleFlightTokens({
    store,
    provider: "quickbooks",
    refresh: ({ refreshToken, signal }) =>
      refreshAt("https://oauth.intuit.com/oauth2/v1/tokens/bearer", process.env.QBO_CLIENT_ID ?? "", process.env.QBO_CLIENT_SECRET ?? "", refreshToken, signal),
  });
  const xeroTokens = singleFlightTokens({
    store,
    provider: "xero",
    refresh: ({ refreshToken, signal }) =>
      refreshAt("https://identity.xero.com/connect/token", process.env.XERO_CLIENT_ID ?? "", process.env.XERO_CLIENT_SECRET ?? "", refreshToken, signal),
  });
  return {
    // In your OAuth callback (connect and re-connect): await qboTokens.save(realmId, { refreshToken, accessToken, expiresAt }).
    qboTokens,
    xeroTokens,
    quickbooks: quickbooks({ verifierToken: process.env.QBO_VERIFIER_TOKEN ?? "", getAccessToken: qboTokens.getAccessToken }),
    xero: xero({ webhookKey: process.env.XERO_WEBHOOK_KEY ?? "", getAccessToken: xeroTokens.getAccessToken }),
  };
}
