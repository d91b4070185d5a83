/**
 * The shared-state store capability: small versioned records and short leases that every inbox
 * instance over one database sees (the settings, a tenant's OAuth token set).
 */

/** One shared record. `value` is JSON (what `JSON.stringify` keeps). */
export interface SharedRecord {
  readonly key: string;
  readonly value: unknown;
  /** 1 when created, +1 on every write: the guard of `writeRecord({ ifVersion })`. */
  readonly version: number;
  /** When it was last written (the writer's clock). */
  readonly changedAt: Date;
  /** Who last wrote it (an operator, an instance), or `null` when the writer named nobody. */
  readonly changedBy: string | null;
}

export interface WriteRecordInput {
  readonly key: string;
  readonly value: unknown;
  readonly changedAt: Date;
  readonly changedBy: string | null;
  /**
   * Applies only when the stored version is this one (`0`: only when the key is absent), checked and
   * written atomically, so of concurrent writers with the same `ifVersion` exactly one succeeds.
   * Omitted: always applies.
   */
  readonly ifVersion?: number;
}

export interface LeaseInput {
  readonly key: string;
  /** Who holds it: a stable id per instance. */
  readonly holder: string;
  readonly now: Date;
  readonly leaseMs: number;
}

/**
 * Records and leases shared by every instance over one database. Optional on a `WebhookStore`
 * (`store.sharedState`); without it, settings are per process and `singleFlightTokens` refuses the store.
 *
 * Invariants the conformance suite checks (section 15):
 * - a write is visible to every later read, from this store object and from a sibling over the same database;
 * - `version` starts at 1 and grows by one per applied write; a write with a stale `ifVersion` changes nothing;
 * - while a lease is live (`now < expiresAt`), `acquireLease` grants it to its holder only (renewing it),
 *   even when two store instances race for it; an expired or released lease goes to the next caller;
 * - stores never read a clock: lease times are computed from `now`.
 */
export interface SharedStateStore {
  /** Records whose key starts with `prefix`, in key order. */
  readRecords(input: { readonly prefix: string }): Promise<SharedRecord[]>;
  /** Creates or replaces one record; resolves with the record written, or `null` when `ifVersion` did not match. */
  writeRecord(input: WriteRecordInput): Promise<SharedRecord | null>;
  /** Takes (or renews) the lease on `key` for `holder` until `now + leaseMs`; `true` when `holder` now holds it. */
  acquireLease(input: LeaseInput): Promise<boolean>;
  /** Gives the lease up when `holder` holds it; otherwise does nothing. */
  releaseLease(input: { readonly key: string; readonly holder: string }): Promise<void>;
  /**
   * Optional push (PostgreSQL NOTIFY): calls `onChange` soon after any instance writes a record.
   * A hint only: readers re-read on a timer as well. Returns an unsubscribe function.
   */
  watchRecords?(onChange: () => void): Promise<() => Promise<void>>;
}
