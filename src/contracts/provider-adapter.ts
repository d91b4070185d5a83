/**
 * A provider adapter turns one accounting provider's webhooks and API into what the core needs:
 * verify the signature on the raw bytes, split a body into per-entity changes, and download the
 * current data of many entities in as few calls as the provider allows.
 *
 * Contract:
 * - `verify` works on the exact bytes received, in constant time, and throws `WebhookVerificationError`.
 * - `parse` is called only after `verify`; it throws `WebhookPayloadError` naming what is wrong.
 * - `fetchResources` never receives more than `maxBatchSize(entityType)` ids. It reports every id:
 *   found, missing (deleted / not found), or failed with its own error, so one bad entity never fails
 *   its neighbours. It throws `RateLimitedError` on a provider throttle (with the wait), and
 *   `ProviderRequestError` when the whole call failed.
 * - A record that a batch answer leaves out is not taken as deleted on that word alone: before a
 *   handler gets `resource: null` for a change that is not a delete, the core reads that one record
 *   again, with `fetchResource` when the adapter has it (else `fetchResources` with that id alone),
 *   and the attempt records whether it was confirmed missing or found on the second read.
 */
export interface ProviderAdapter {
  /** "quickbooks", "xero", ...: also the namespace of de-duplication keys. */
  readonly name: string;
  /** Content types the provider sends; anything else is answered 415. */
  readonly contentTypes: readonly string[];
  /** Published limits the rate limiter enforces. */
  readonly limits: ProviderLimits;
  /**
   * False for an entity type whose events name no record to download (Xero's SUBSCRIPTION events):
   * they reach the handler with their payload and `resource: null`, and no provider call is made.
   * @default every type is downloaded
   */
  downloads?(entityType: string): boolean;
  /** Most ids one `fetchResources` call accepts for this entity type (≥ 1). */
  maxBatchSize(entityType: string): number;
  /** Throws `WebhookVerificationError` when the signature is missing or wrong. */
  verify(request: ProviderRequest): void;
  /**
   * The answer a request gets once its delivery is stored (or, in `direct` mode, processed): status,
   * headers and body, as the provider requires. Xero: 200, empty body, no cookies, for every request;
   * QuickBooks: 200. Optional: without it a stored delivery is answered `202` with a JSON body naming
   * the delivery, which is what generic senders expect. `input.status` is the integration's
   * `acceptedStatus` override, when one is set.
   */
  acknowledge?(input: AcknowledgementInput): ProviderAcknowledgement;
  /** Splits a verified body into changes. Throws `WebhookPayloadError`. */
  parse(request: ProviderRequest): ParsedDelivery;
  /** Downloads current data for `ids` (all one tenant and one entity type). */
  fetchResources(request: FetchResourcesRequest): Promise<FetchResourcesResult>;
  /**
   * Reads ONE record the provider's most direct way (QuickBooks `GET /v3/company/{realm}/{entity}/{id}`,
   * Xero `GET /{Endpoint}/{id}`), to confirm a record a batch answer left out. Its "missing" is final.
   * Optional: without it the core asks `fetchResources` for that id alone. Throws as `fetchResources` does.
   */
  fetchResource?(request: FetchResourceRequest): Promise<ResourceResult>;
  /**
   * Optional, for reconciliation: ONE provider call asking what changed in a tenant's entity type between
   * `since` and `until` (QuickBooks CDC or its query path, Xero `If-Modified-Since` pages). The core makes
   * each call under the tenant's limiter and budget share, and calls again with `cursor: answer.next`
   * until `next` is `null`. Throws as `fetchResources` does.
   */
  listChanges?(request: ListChangesRequest): Promise<ChangesAnswer>;
  /** Entity types `listChanges` can answer; the others are noted in the run and skipped. @default every type */
  reconciles?(entityType: string): boolean;
}

/** What `listChanges` is asked. */
export interface ListChangesRequest {
  readonly tenantId: string;
  readonly entityType: string;
  /** Changes at or after this time. */
  readonly since: Date;
  /** Changes after this time are left to the next run (the core drops them when an answer has them). */
  readonly until: Date;
  /** `null` on the first call; then the previous answer's `next`. */
  readonly cursor: unknown;
  /** The current time (the provider's look-back limits are counted from it). */
  readonly now: Date;
  readonly signal: AbortSignal;
  readonly observe: (observation: RateLimitObservation) => void;
}

/** One call's answer. */
export interface ChangesAnswer {
  readonly changes: readonly ProviderChange[];
  /** What to pass as `cursor` for the rest of the window; `null` when the window is complete. */
  readonly next: unknown;
  /**
   * With `next`: every change before this time has been listed (by this answer and the ones before), so
   * the core may move the watermark here before the rest of the window is asked.
   */
  readonly completeThrough?: Date;
  /** How it was asked (`cdc`, `query`, `modified-since`). */
  readonly path: "cdc" | "query" | "modified-since";
  /** For the run log: why the window was split, why the query path was taken. */
  readonly note?: string;
}

/** One changed record as the provider reported it. */
export interface ProviderChange {
  readonly entityId: string;
  /** The record is gone (QuickBooks CDC `status: "Deleted"`; Xero `Status: "DELETED"` or `"ARCHIVED"` is still a record). */
  readonly deleted: boolean;
  /** The provider's time of the record's last change (QuickBooks `MetaData.LastUpdatedTime`, Xero `UpdatedDateUTC`). */
  readonly occurredAt: Date;
  /** The record as the answer held it: the downloaded resource (`null` for a deletion). */
  readonly data: unknown;
}

/** What the core is acknowledging. */
export interface AcknowledgementInput {
  /**
   * `accepted`: stored, processing follows; `duplicate`: already received; `unparseable`: signed but
   * unreadable, stored for an operator; `processed`: handled in the request (`direct` mode);
   * `handshake`: a probe with no changes (Xero's intent to receive).
   */
  readonly outcome: "accepted" | "duplicate" | "unparseable" | "processed" | "handshake";
  readonly deliveryId: string;
  /** Events the delivery was split into. */
  readonly events: number;
  /** `duplicate`: the delivery first received. */
  readonly duplicateOf?: string;
  /** The integration's `acceptedStatus`, when set: it overrides the provider's status. */
  readonly status?: 200 | 202;
}

/** The response an acknowledgement sends (headers lower-cased; `""` for an empty body). */
export interface ProviderAcknowledgement {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface ProviderRequest {
  readonly rawBody: Uint8Array;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * When the delivery was received (the core passes it to `parse`): the time of a change whose body
   * names none, e.g. a CloudEvent without the optional `time`.
   */
  readonly receivedAt?: Date;
}

export interface ParsedDelivery {
  /** Key that is the same for a redelivery of the same webhook. */
  readonly dedupeKey: string;
  readonly events: readonly ParsedEvent[];
  /**
   * True for a handshake that carries no changes (Xero's intent to receive): answered 200 with an
   * empty body whatever the mode, and logged as a delivery.
   */
  readonly handshake?: boolean;
  /**
   * Entries of the body that could not be parsed while their neighbours could: a body of the same
   * format holding only them, how many, and why. The core stores it as an `unparseable` delivery of
   * its own (visible in the log, re-processable by an operator) and the readable events as usual.
   * When nothing is readable, `parse` throws instead.
   */
  readonly rejected?: { readonly rawBody: Uint8Array; readonly entries: number; readonly reason: string };
}

export interface ParsedEvent {
  readonly tenantId: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly operation: string;
  /** True when the entity is gone (delete; merged away): not fetched, the handler gets `resource: null`. */
  readonly deleted: boolean;
  readonly occurredAt: Date;
  /**
   * The part of the body that names this change; kept with the event for the handler and the log.
   * An object payload may carry `occurredAtNote` (a string) saying why `occurredAt` is not the
   * provider's own time; the staleness guard quotes it when it skips the event.
   */
  readonly payload: unknown;
}

export interface FetchResourcesRequest {
  readonly tenantId: string;
  readonly entityType: string;
  readonly ids: readonly string[];
  readonly signal: AbortSignal;
  /** Report rate-limit headers seen on a response (e.g. Xero's X-MinLimit-Remaining). */
  readonly observe: (observation: RateLimitObservation) => void;
}

/** What `fetchResource` is asked: one record of one tenant and entity type. */
export interface FetchResourceRequest extends Omit<FetchResourcesRequest, "ids"> {
  readonly id: string;
}

/** Per-id outcome of a fetch. */
export type ResourceResult =
  | { readonly status: "found"; readonly data: unknown }
  /**
   * Not in the answer. `confirmed: true` when the answer was a single-record read of this id (e.g.
   * Xero's `GET /CreditNotes/{id}` answering 404): the core then does not read it again.
   */
  | { readonly status: "missing"; readonly confirmed?: boolean }
  | { readonly status: "error"; readonly error: Error };

export type FetchResourcesResult = ReadonlyMap<string, ResourceResult>;

/** A sliding-window limit: at most `limit` calls in any `intervalMs`. */
export interface RateWindow {
  /** Name the provider's headers use for it (`minute`, `day`, `second`, `batch-minute`, `app-minute`). */
  readonly name: string;
  readonly limit: number;
  readonly intervalMs: number;
}

export interface ProviderLimits {
  /** Limits per tenant (realm, organisation). */
  readonly tenant: {
    /** Calls in flight at once. */
    readonly concurrency: number;
    readonly windows: readonly RateWindow[];
  };
  /** Limits across all tenants of this app. */
  readonly app?: { readonly windows: readonly RateWindow[] };
  /** Wait after a throttle that names no Retry-After. */
  readonly defaultRetryAfterMs: number;
}

/** What a response said about the remaining budget of one window. */
export interface RateLimitObservation {
  readonly scope: "tenant" | "app";
  /** Window name, as in `RateWindow.name`. */
  readonly window: string;
  readonly remaining: number;
}
