// Single-flight token refresh: one instance at a time refreshes a tenant's OAuth token, under a short lease in the store's shared state.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { z } from "zod";
import { type Clock, systemClock } from "../clock.ts";
import type { SharedRecord } from "../contracts/shared-state.ts";
import type { WebhookStore } from "../contracts/webhook-store.ts";
import { ReauthorizationRequiredError, WebhookConfigError, describeError } from "../errors.ts";
import { validateOptions } from "../validate-options.ts";
import { isInvalidGrant } from "./invalid-grant.ts";

/** What `refresh` answers: the new access token, and the new refresh token when the provider rotated it. */
export interface RefreshedTokens {
  readonly accessToken: string;
  /** The provider's new refresh token (QuickBooks and Xero rotate it); omitted: the old one stays. */
  readonly refreshToken?: string;
  /** Lifetime of the access token in seconds (`expires_in` of the token answer: 3600 at QuickBooks, 1800 at Xero). */
  readonly expiresIn: number;
}

/** A tenant's token set as `save` takes it (after your OAuth callback) and the store keeps it. */
export interface TokenSet {
  readonly refreshToken: string;
  readonly accessToken?: string;
  /** When `accessToken` expires. */
  readonly expiresAt?: Date;
}

/** Where a tenant stands (`tokens.status(tenantId)`). */
export interface TokenStatus {
  readonly tenantId: string;
  /** `null` while the tenant's grant is good. */
  readonly needsReauthorization: { readonly reason: string; readonly since: Date } | null;
  /** When the stored access token expires (`null`: none stored). */
  readonly accessTokenExpiresAt: Date | null;
  /** The last write: a refresh (`changedBy` = the instance) or a `save`. */
  readonly changedAt: Date;
  readonly changedBy: string | null;
}

const optionsSchema = z.strictObject({
  store: z.custom<WebhookStore>((value) => typeof value === "object" && value !== null, { error: "store must be a WebhookStore" }),
  /** Namespace of the stored token sets, e.g. "quickbooks" or one per app: `token:<provider>:<tenantId>`. */
  provider: z
    .string()
    .min(1)
    .regex(/^[^:]+$/, { error: "provider must not contain ':'" }),
  /** Calls the provider's token endpoint with the tenant's current refresh token. */
  refresh: z.custom<(input: { tenantId: string; refreshToken: string; signal: AbortSignal }) => Promise<RefreshedTokens>>(
    (value) => typeof value === "function",
    {
      error: "refresh must be a function ({ tenantId, refreshToken, signal }) => Promise<{ accessToken, refreshToken?, expiresIn }>",
    },
  ),
  /** How long one instance holds a tenant's refresh; `refresh` is aborted at half of it. @default 30_000 */
  leaseMs: z.number().int().min(1_000).default(30_000),
  /** Refresh this long before the access token expires (clock differences, slow calls). @default 120_000 */
  refreshBeforeMs: z.number().int().min(0).default(120_000),
  /** How often an instance waiting for another's refresh looks again. @default 100 */
  waitPollMs: z.number().int().min(1).default(100),
  /** How often the events of a tenant that needs re-authorisation are looked at again. @default 60_000 */
  recheckMs: z.number().int().min(1_000).default(60_000),
  /** Whether a `refresh` failure means the grant is gone. @default `invalid_grant` in the error's `error`, `code`, body or message */
  isInvalidGrant: z.custom<(error: unknown) => boolean>((value) => typeof value === "function").optional(),
  clock: z.custom<Clock>((value) => typeof value === "object" && value !== null && typeof (value as Clock).now === "function").optional(),
  /** This instance's name in leases and in `changedBy`. @default hostname:pid:random */
  holder: z.string().min(1).optional(),
});

export type SingleFlightTokensOptions = z.input<typeof optionsSchema>;

/** Stored value of `token:<provider>:<tenantId>`. */
interface StoredTokens {
  refreshToken: string;
  accessToken: string | null;
  expiresAt: number | null;
  needsReauthorization: { reason: string; since: number } | null;
}

/** What `singleFlightTokens` gives: pass `getAccessToken` to `quickbooks({ ... })` / `xero({ ... })`. */
export interface SingleFlightTokens {
  /** A valid access token for the tenant, refreshing it (one instance at a time) when it is about to expire. */
  getAccessToken(tenantId: string): Promise<string>;
  /** Stores a tenant's tokens after your OAuth callback (connect or re-connect); clears a re-authorisation mark. */
  save(tenantId: string, tokens: TokenSet, options?: { changedBy?: string | null }): Promise<void>;
  status(tenantId: string): Promise<TokenStatus | null>;
  /** Every tenant of this provider whose grant is gone, for a banner or an alert. */
  needingReauthorization(): Promise<TokenStatus[]>;
  /** How many refreshes this instance made (for tests and metrics). */
  readonly refreshes: number;
}

/**
 * Token refresh for many instances over one store: before an access token expires, one instance takes
 * a short lease on the tenant (`token:<provider>:<tenantId>` in `store.sharedState`), re-reads, calls
 * `refresh`, and stores the rotated refresh token before anyone uses the new access token; the others
 * wait for it and read the stored result. A refresh refused with `invalid_grant` marks the tenant
 * "needs re-authorisation": `getAccessToken` then throws `ReauthorizationRequiredError` without calling
 * the provider, and the inbox parks the tenant's events (not failed, no attempt spent) until `save`.
 *
 * @example
 * const tokens = singleFlightTokens({ store, provider: "quickbooks", refresh: ({ refreshToken, signal }) => refreshAtIntuit(refreshToken, signal) });
 * quickbooks({ verifierToken, getAccessToken: tokens.getAccessToken });
 */
export function singleFlightTokens(input: SingleFlightTokensOptions): SingleFlightTokens {
  const options = validateOptions(optionsSchema, input, "singleFlightTokens options", { format: "pretty" });
  const state = options.store.sharedState;
  if (!state) {
    throw new WebhookConfigError("singleFlightTokens needs a store with sharedState (MemoryStore, SqliteStore, PostgresStore)", [
      { path: "store", message: "has no sharedState" },
    ]);
  }
  const clock = options.clock ?? systemClock;
  const holder = options.holder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const invalidGrant = options.isInvalidGrant ?? isInvalidGrant;
  const key = (tenantId: string) => `token:${options.provider}:${tenantId}`;
  /** Access tokens this instance already read, so a valid one costs no store read. */
  const cache = new Map<string, { accessToken: string; expiresAt: number }>();
  let refreshes = 0;

  const fresh = (tokens: { accessToken: string | null; expiresAt: number | null }): tokens is { accessToken: string; expiresAt: number } =>
    tokens.accessToken !== null && tokens.expiresAt !== null && tokens.expiresAt - options.refreshBeforeMs > clock.now().getTime();

  const parked = (tenantId: string, reason: string) =>
    new ReauthorizationRequiredError(`tenant ${tenantId} needs re-authorisation (${options.provider}): ${reason}`, { tenantId, recheckMs: options.recheckMs });

  async function read(tenantId: string): Promise<SharedRecord | null> {
    const records = await state!.readRecords({ prefix: key(tenantId) });
    return records.find((record) => record.key === key(tenantId)) ?? null;
  }

  /** With the lease held: re-read, refresh, store, in that order. Returns the token, or null when the record moved under us. */
  async function refreshHeld(tenantId: string): Promise<string | null> {
    const record = await read(tenantId);
    if (!record) throw parked(tenantId, "no token saved for this tenant (connect it through your OAuth flow, then save())");
    const stored = record.value as StoredTokens;
    if (stored.needsReauthorization) throw parked(tenantId, stored.needsReauthorization.reason);
    if (fresh(stored)) return remember(tenantId, stored);
    let answer: RefreshedTokens;
    try {
      answer = await options.refresh({ tenantId, refreshToken: stored.refreshToken, signal: AbortSignal.timeout(options.leaseMs / 2) });
    } catch (error) {
      if (!invalidGrant(error)) throw error;
      // Kept with the tenant and shown as the parked events' lastError: never with a token in it.
      const reason = redact(describeError(error), [stored.refreshToken, stored.accessToken]).slice(0, 300);
      const marked: StoredTokens = { ...stored, accessToken: null, expiresAt: null, needsReauthorization: { reason, since: clock.now().getTime() } };
      await state!.writeRecord({ key: key(tenantId), value: marked, changedAt: clock.now(), changedBy: holder, ifVersion: record.version });
      cache.delete(tenantId);
      throw parked(tenantId, reason);
    }
    refreshes += 1;
    const expiresAt = clock.now().getTime() + answer.expiresIn * 1_000;
    const next: StoredTokens = {
      refreshToken: answer.refreshToken ?? stored.refreshToken,
      accessToken: answer.accessToken,
      expiresAt,
      needsReauthorization: null,
    };
    // Stored before the new access token is used: a rotated refresh token is never only in memory.
    const written = await state!.writeRecord({ key: key(tenantId), value: next, changedAt: clock.now(), changedBy: holder, ifVersion: record.version });
    return written ? remember(tenantId, { accessToken: answer.accessToken, expiresAt }) : null;
  }

  function remember(tenantId: string, tokens: { accessToken: string; expiresAt: number }): string {
    cache.set(tenantId, { accessToken: tokens.accessToken, expiresAt: tokens.expiresAt });
    return tokens.accessToken;
  }

  /** One lookup per tenant at a time in this instance: the lease is per instance (its holder), so concurrent callers here share one. */
  const inFlight = new Map<string, Promise<string>>();

  function getAccessToken(tenantId: string): Promise<string> {
    const cached = cache.get(tenantId);
    if (cached && fresh(cached)) return Promise.resolve(cached.accessToken);
    let lookup = inFlight.get(tenantId);
    if (!lookup) {
      lookup = lookUp(tenantId).finally(() => inFlight.delete(tenantId));
      inFlight.set(tenantId, lookup);
    }
    return lookup;
  }

  async function lookUp(tenantId: string): Promise<string> {
    // Waits at most two leases for another instance's refresh (the second covers a holder that died).
    const deadline = clock.now().getTime() + 2 * options.leaseMs + options.waitPollMs;
    for (;;) {
      const record = await read(tenantId);
      if (!record) throw parked(tenantId, "no token saved for this tenant (connect it through your OAuth flow, then save())");
      const stored = record.value as StoredTokens;
      if (stored.needsReauthorization) throw parked(tenantId, stored.needsReauthorization.reason);
      if (fresh(stored)) return remember(tenantId, stored);
      const leased = await state!.acquireLease({ key: key(tenantId), holder, now: clock.now(), leaseMs: options.leaseMs });
      if (leased) {
        try {
          const token = await refreshHeld(tenantId);
          if (token !== null) return token;
        } finally {
          await state!.releaseLease({ key: key(tenantId), holder });
        }
      } else if (clock.now().getTime() > deadline) {
        throw new Error(`timed out waiting for another instance to refresh the token of tenant ${tenantId} (${options.provider})`);
      } else {
        await new Promise((resolve) => setTimeout(resolve, options.waitPollMs));
      }
    }
  }

  function toStatus(tenantId: string, record: SharedRecord): TokenStatus {
    const stored = record.value as StoredTokens;
    return {
      tenantId,
      needsReauthorization: stored.needsReauthorization
        ? { reason: stored.needsReauthorization.reason, since: new Date(stored.needsReauthorization.since) }
        : null,
      accessTokenExpiresAt: stored.expiresAt === null ? null : new Date(stored.expiresAt),
      changedAt: record.changedAt,
      changedBy: record.changedBy,
    };
  }

  return {
    getAccessToken,
    async save(tenantId, tokens, saveOptions = {}) {
      const value: StoredTokens = {
        refreshToken: tokens.refreshToken,
        accessToken: tokens.accessToken ?? null,
        expiresAt: tokens.accessToken && tokens.expiresAt ? tokens.expiresAt.getTime() : null,
        needsReauthorization: null,
      };
      await state.writeRecord({ key: key(tenantId), value, changedAt: clock.now(), changedBy: saveOptions.changedBy ?? null });
      cache.delete(tenantId);
    },
    async status(tenantId) {
      const record = await read(tenantId);
      return record && toStatus(tenantId, record);
    },
    async needingReauthorization() {
      const prefix = `token:${options.provider}:`;
      const records = await state.readRecords({ prefix });
      return records.map((record) => toStatus(record.key.slice(prefix.length), record)).filter((status) => status.needsReauthorization !== null);
    },
    get refreshes() {
      return refreshes;
    },
  };
}

/** The text with every occurrence of the given secrets replaced. */
function redact(text: string, secrets: readonly (string | null)[]): string {
  let result = text;
  for (const secret of secrets) if (secret && secret.length >= 4) result = result.split(secret).join("[redacted]");
  return result;
}
