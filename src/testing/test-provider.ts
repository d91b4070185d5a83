import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import {
  type FetchResourceRequest,
  type FetchResourcesRequest,
  type FetchResourcesResult,
  type ParsedDelivery,
  ProviderRequestError,
  type ProviderAdapter,
  type ProviderLimits,
  type ProviderRequest,
  RateLimitedError,
  type ResourceResult,
  WebhookPayloadError,
  WebhookVerificationError,
} from "../index.ts";

/** Header the test provider signs with. */
export const TEST_SIGNATURE_HEADER = "x-test-signature";

/** One change in a test webhook body. */
export interface TestChange {
  tenantId: string;
  entityType: string;
  entityId: string;
  /** @default "update" */
  operation?: string;
  /** ISO time of the change. */
  occurredAt: string;
  /** The entity is gone (`resource: null`, no fetch). */
  deleted?: boolean;
}

const changeSchema = z.object({
  tenantId: z.string().min(1),
  entityType: z.string().min(1),
  entityId: z.string().min(1),
  operation: z.string().default("update"),
  occurredAt: z.iso.datetime({ offset: true }),
  deleted: z.boolean().default(false),
});
const bodySchema = z.object({ id: z.string().min(1).optional(), changes: z.array(changeSchema) });

/** Signs a body as the test provider expects: base64 HMAC-SHA256 of the exact bytes. */
export function signTestPayload(body: string | Uint8Array, secret: string): string {
  return createHmac("sha256", secret).update(body).digest("base64");
}

/** Builds a signed test webhook: `{ body, headers }` ready to send or to pass to `receive()`. */
export function testWebhook(secret: string, changes: TestChange[], id?: string): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(id === undefined ? { changes } : { id, changes });
  return { body, headers: { "content-type": "application/json", [TEST_SIGNATURE_HEADER]: signTestPayload(body, secret) } };
}

/**
 * The test provider's API: entities per tenant and type, with call counters, and knobs to make an
 * entity fail (once or always), a tenant throttle, or the whole call fail.
 */
export class TestApi {
  /** Every fetch call made, in order. */
  readonly calls: { tenantId: string; entityType: string; ids: string[] }[] = [];
  #records = new Map<string, unknown>();
  #failures = new Map<string, number>();
  #throttles = new Map<string, { remaining: number; retryAfterMs: number; limit?: string }>();
  #callFailures: Error[] = [];

  #key(tenantId: string, entityType: string, entityId: string): string {
    return `${tenantId}/${entityType}/${entityId}`;
  }

  set(tenantId: string, entityType: string, entityId: string, data: unknown): this {
    this.#records.set(this.#key(tenantId, entityType, entityId), data);
    return this;
  }

  delete(tenantId: string, entityType: string, entityId: string): this {
    this.#records.delete(this.#key(tenantId, entityType, entityId));
    return this;
  }

  /** The entity's next `times` downloads fail with a per-entity error (`Infinity` = always). */
  fail(tenantId: string, entityType: string, entityId: string, times = 1): this {
    this.#failures.set(this.#key(tenantId, entityType, entityId), times);
    return this;
  }

  /** The tenant's next `calls` fetches are answered "429" with `retryAfterMs`. */
  throttle(tenantId: string, options: { calls?: number; retryAfterMs: number; limit?: string }): this {
    this.#throttles.set(tenantId, { remaining: options.calls ?? 1, retryAfterMs: options.retryAfterMs, ...(options.limit ? { limit: options.limit } : {}) });
    return this;
  }

  /** The next whole call fails with `error` (a 5xx, a timeout ...). */
  failNextCall(error: Error = new ProviderRequestError("test API answered 500", { providerStatus: 500 })): this {
    this.#callFailures.push(error);
    return this;
  }

  /** Calls made for one tenant (and type). */
  callCount(filter: { tenantId?: string; entityType?: string } = {}): number {
    return this.calls.filter(
      (call) =>
        (filter.tenantId === undefined || call.tenantId === filter.tenantId) && (filter.entityType === undefined || call.entityType === filter.entityType),
    ).length;
  }

  fetch(tenantId: string, entityType: string, ids: readonly string[]): FetchResourcesResult {
    this.calls.push({ tenantId, entityType, ids: [...ids] });
    const throttle = this.#throttles.get(tenantId);
    if (throttle && throttle.remaining > 0) {
      throttle.remaining -= 1;
      throw new RateLimitedError("test API: too many requests", { retryAfterMs: throttle.retryAfterMs, ...(throttle.limit ? { limit: throttle.limit } : {}) });
    }
    const callFailure = this.#callFailures.shift();
    if (callFailure) throw callFailure;
    const results = new Map<string, ResourceResult>();
    for (const id of ids) {
      const key = this.#key(tenantId, entityType, id);
      const failures = this.#failures.get(key) ?? 0;
      if (failures > 0) {
        this.#failures.set(key, failures - 1);
        results.set(id, { status: "error", error: new ProviderRequestError(`test API: ${entityType} ${id} failed`) });
        continue;
      }
      const data = this.#records.get(key);
      results.set(id, data === undefined ? { status: "missing" } : { status: "found", data: structuredClone(data) });
    }
    return results;
  }
}

export interface TestProviderOptions {
  /** Signing secret. */
  secret: string;
  /** The API behind the provider. @default a new, empty TestApi */
  api?: TestApi;
  /** Ids per fetch call. @default 10 */
  maxBatchSize?: number;
  /** @default 5 concurrent, 100 a minute per tenant */
  limits?: ProviderLimits;
  /** @default "test" */
  name?: string;
}

/**
 * A simple provider with an in-memory API behind it: lets hosts (and our own tests) exercise the
 * whole inbox without QuickBooks or Xero. Body: `{ "id"?: string, "changes": TestChange[] }`, signed
 * in `x-test-signature`.
 */
export function testProvider(options: TestProviderOptions): ProviderAdapter & { readonly api: TestApi } {
  const api = options.api ?? new TestApi();
  const key = Buffer.from(options.secret, "utf8");
  const maxBatchSize = options.maxBatchSize ?? 10;
  return {
    name: options.name ?? "test",
    api,
    contentTypes: ["application/json"],
    limits: options.limits ?? {
      tenant: { concurrency: 5, windows: [{ name: "minute", limit: 100, intervalMs: 60_000 }] },
      defaultRetryAfterMs: 60_000,
    },
    maxBatchSize: () => maxBatchSize,
    verify({ rawBody, headers }: ProviderRequest): void {
      const given = headers[TEST_SIGNATURE_HEADER];
      if (!given) throw new WebhookVerificationError(`missing ${TEST_SIGNATURE_HEADER} header`);
      const expected = createHmac("sha256", key).update(rawBody).digest();
      const actual = Buffer.from(given, "base64");
      if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw new WebhookVerificationError("signature does not match the body");
    },
    parse({ rawBody }: ProviderRequest): ParsedDelivery {
      let json: unknown;
      try {
        json = JSON.parse(Buffer.from(rawBody).toString("utf8"));
      } catch (error) {
        throw new WebhookPayloadError("body is not JSON", error);
      }
      const result = bodySchema.safeParse(json);
      if (!result.success) throw new WebhookPayloadError(`body is not a test webhook: ${z.prettifyError(result.error)}`);
      const dedupeKey = result.data.id ?? createHash("sha256").update(rawBody).digest("hex");
      return {
        dedupeKey,
        events: result.data.changes.map((change) => ({
          tenantId: change.tenantId,
          entityType: change.entityType,
          entityId: change.entityId,
          operation: change.operation,
          deleted: change.deleted,
          occurredAt: new Date(change.occurredAt),
          payload: change,
        })),
      };
    },
    async fetchResources(request: FetchResourcesRequest): Promise<FetchResourcesResult> {
      return api.fetch(request.tenantId, request.entityType, request.ids);
    },
    // The single-record read the core confirms an absent record with: its "missing" is final.
    async fetchResource(request: FetchResourceRequest): Promise<ResourceResult> {
      const result = api.fetch(request.tenantId, request.entityType, [request.id]).get(request.id);
      if (result === undefined) return { status: "error", error: new ProviderRequestError("test API: no answer for this id") };
      return result.status === "missing" ? { status: "missing", confirmed: true } : result;
    },
  };
}
