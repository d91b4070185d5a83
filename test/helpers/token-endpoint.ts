// A fake OAuth token endpoint that rotates refresh tokens the way QuickBooks and Xero do: each refresh
// returns a new refresh token, and one already used (or revoked) is refused with invalid_grant.

/** The error shape a token client throws for an RFC 6749 error answer. */
export class OAuthError extends Error {
  constructor(readonly error: string) {
    super(`token endpoint answered 400 ${error}`);
  }
}

export class FakeTokenEndpoint {
  /** Every refresh call: which tenant, with which refresh token, and whether it was accepted. */
  readonly calls: { tenantId: string; refreshToken: string; accepted: boolean }[] = [];
  readonly #current = new Map<string, string>();
  #serial = 0;

  constructor(readonly delayMs = 25) {}

  /** Issues a tenant's first refresh token (the OAuth callback's answer). */
  connect(tenantId: string): string {
    const token = `rt-${tenantId}-${++this.#serial}`;
    this.#current.set(tenantId, token);
    return token;
  }

  /** The tenant's grant is revoked (disconnected in the provider's app settings). */
  revoke(tenantId: string): void {
    this.#current.delete(tenantId);
  }

  refresh = async ({ tenantId, refreshToken }: { tenantId: string; refreshToken: string }) => {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const accepted = this.#current.get(tenantId) === refreshToken;
    this.calls.push({ tenantId, refreshToken, accepted });
    if (!accepted) throw new OAuthError("invalid_grant");
    const next = `rt-${tenantId}-${++this.#serial}`;
    this.#current.set(tenantId, next);
    return { accessToken: `at-${tenantId}-${this.#serial}`, refreshToken: next, expiresIn: 3600 };
  };
}
