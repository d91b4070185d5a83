// A stand-in for the host's OAuth token storage, so the README samples type-check and run.
const accessTokens = new Map<string, string>();

export const tokens = {
  forRealm: async (realmId: string): Promise<string> => accessTokens.get(`qbo:${realmId}`) ?? "access-token",
  forTenant: async (tenantId: string): Promise<string> => accessTokens.get(`xero:${tenantId}`) ?? "access-token",
};
