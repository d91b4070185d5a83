import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ProviderRequestError,
  RateLimitedError,
  WebhookConfigError,
  type FetchResourcesRequest,
  type ProviderAdapter,
  type RateLimitObservation,
} from "webhook-inbox";
import { startFakeXero, type FakeXero } from "webhook-inbox/testing";
import { xero } from "webhook-inbox/xero";

const tenant = "aef86862-2015-4b6b-88bc-d89032cecc50";
let fake: FakeXero;

beforeAll(async () => {
  fake = await startFakeXero();
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.reset();
  fake.setTokenValidator((token) => token.length > 0);
  fake.setLimits({ concurrency: 5, minute: 60, day: 5_000, appMinute: 10_000 });
});

function adapter(options: Partial<Parameters<typeof xero>[0]> = {}): ProviderAdapter {
  return xero({ webhookKey: "k", getAccessToken: async () => "token", baseUrl: fake.url, ...options });
}

function request(ids: string[], entityType = "INVOICE", extra: Partial<FetchResourcesRequest> = {}): FetchResourcesRequest {
  return { tenantId: tenant, entityType, ids, signal: new AbortController().signal, observe: () => {}, ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

const guids = (count: number) => Array.from({ length: count }, () => randomUUID());

describe("xero fetchResources against the fake", () => {
  it("declares Xero's limits with the header window names, and batch sizes per category", () => {
    const provider = adapter();
    expect(provider.name).toBe("xero");
    expect(provider.contentTypes).toEqual(["application/json"]);
    expect(provider.limits).toEqual({
      tenant: {
        concurrency: 5,
        windows: [
          { name: "minute", limit: 60, intervalMs: 60_000 },
          { name: "day", limit: 5_000, intervalMs: 86_400_000 },
        ],
      },
      app: { windows: [{ name: "app-minute", limit: 10_000, intervalMs: 60_000 }] },
      defaultRetryAfterMs: 60_000,
    });
    expect(adapter({ dailyLimit: 1_000 }).limits.tenant.windows[1]).toEqual({ name: "day", limit: 1_000, intervalMs: 86_400_000 });
    expect(provider.maxBatchSize("INVOICE")).toBe(50);
    expect(provider.maxBatchSize("CONTACT")).toBe(50);
    expect(provider.maxBatchSize("CREDITNOTE")).toBe(1);
    expect(provider.maxBatchSize("SUBSCRIPTION")).toBe(1);
    expect(adapter({ idsPerRequest: 20 }).maxBatchSize("CONTACT")).toBe(20);
  });

  it("GET /Invoices?IDs= with 50 ids is ONE call with the xero-tenant-id header; unknown ids are missing", async () => {
    const ids = guids(50);
    fake.records.seed(tenant, "INVOICE", ids.slice(0, 48), (id) => ({ InvoiceNumber: `INV-${id.slice(0, 4)}` }));
    const seen: { url: string; headers: Record<string, string> }[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      seen.push({ url: String(input), headers: init?.headers as Record<string, string> });
      return fetch(input, init);
    };
    const results = await adapter({ fetch: recordingFetch }).fetchResources(request(ids));
    expect(fake.calls.total).toBe(1);
    expect(fake.calls.count({ endpoint: "Invoices", tenantId: tenant })).toBe(1);
    expect(seen[0]!.headers).toMatchObject({ "xero-tenant-id": tenant, authorization: "Bearer token", accept: "application/json" });
    expect(new URL(seen[0]!.url).searchParams.get("IDs")!.split(",")).toEqual(ids);
    expect(results.get(ids[0]!)).toEqual({
      status: "found",
      data: expect.objectContaining({ InvoiceID: ids[0], InvoiceNumber: `INV-${ids[0]!.slice(0, 4)}` }),
    });
    expect(results.get(ids[48]!)).toEqual({ status: "missing" });
    expect(results.get(ids[49]!)).toEqual({ status: "missing" });
  });

  it("ids match case-insensitively and are reported as requested", async () => {
    const id = randomUUID();
    fake.records.set(tenant, "CONTACT", id, { Name: "Acme" });
    const results = await adapter().fetchResources(request([id.toUpperCase()], "CONTACT"));
    expect(results.get(id.toUpperCase())).toMatchObject({ status: "found", data: { ContactID: id, Name: "Acme" } });
  });

  it("the fake answers 52 ids and 404s 53, as Xero does", async () => {
    const call = (count: number) =>
      fetch(`${fake.url}/Contacts?IDs=${guids(count).join(",")}`, { headers: { authorization: "Bearer t", "xero-tenant-id": tenant } });
    expect((await call(52)).status).toBe(200);
    const tooMany = await call(53);
    expect(tooMany.status).toBe(404);
    expect(await tooMany.text()).toBe("The resource you're looking for cannot be found");
  });

  it("a 404 from a multi-id GET is a 'URL too long' failure, never 'missing'", async () => {
    const strict = await startFakeXero({ maxIdsPerRequest: 10 });
    try {
      const provider = xero({ webhookKey: "k", getAccessToken: () => "t", baseUrl: strict.url, idsPerRequest: 20 });
      const error = await rejection(provider.fetchResources(request(guids(20))));
      expect(error).toBeInstanceOf(ProviderRequestError);
      expect(error).toMatchObject({ retryable: false, providerStatus: 404 });
      expect(error.message).toMatch(/URL is too long/);
    } finally {
      await strict.close();
    }
  });

  it("credit notes are fetched one by one with GET /CreditNotes/{id}; a 404 there is missing", async () => {
    const [present, absent] = guids(2) as [string, string];
    fake.records.set(tenant, "CREDITNOTE", present, { Type: "ACCPAYCREDIT", Status: "DRAFT" });
    const provider = adapter();
    expect((await provider.fetchResources(request([present], "CREDITNOTE"))).get(present)).toMatchObject({
      status: "found",
      data: { CreditNoteID: present, Type: "ACCPAYCREDIT" },
    });
    // A single-record read's 404 is final: confirmed, so the core does not read it again.
    expect((await provider.fetchResources(request([absent], "CREDITNOTE"))).get(absent)).toEqual({ status: "missing", confirmed: true });
    expect(fake.calls.count({ endpoint: "CreditNotes/{id}" })).toBe(2);
    const error = await rejection(provider.fetchResources(request([present, absent], "CREDITNOTE")));
    expect(error).toMatchObject({ retryable: false });
    expect(fake.calls.total).toBe(2);
  });

  it("categories without an endpoint and non-GUID ids are per-id errors, with no call", async () => {
    const provider = adapter();
    const subscription = await provider.fetchResources(request([randomUUID()], "SUBSCRIPTION"));
    expect([...subscription.values()][0]).toMatchObject({ status: "error" });
    const id = randomUUID();
    fake.records.set(tenant, "INVOICE", id);
    const mixed = await provider.fetchResources(request([id, "../Contacts"]));
    expect(mixed.get(id)?.status).toBe("found");
    expect(mixed.get("../Contacts")).toMatchObject({ status: "error" });
    expect(fake.calls.total).toBe(1);
  });

  it("reports X-MinLimit/X-DayLimit/X-AppMinLimit-Remaining on every response, with the declared window names", async () => {
    const observations: RateLimitObservation[] = [];
    const provider = adapter();
    for (let index = 0; index < 3; index += 1) {
      await provider.fetchResources(request([randomUUID()], "INVOICE", { observe: (observation) => observations.push(observation) }));
    }
    expect(observations).toEqual([
      { scope: "tenant", window: "minute", remaining: 59 },
      { scope: "tenant", window: "day", remaining: 4_999 },
      { scope: "app", window: "app-minute", remaining: 9_999 },
      { scope: "tenant", window: "minute", remaining: 58 },
      { scope: "tenant", window: "day", remaining: 4_998 },
      { scope: "app", window: "app-minute", remaining: 9_998 },
      { scope: "tenant", window: "minute", remaining: 57 },
      { scope: "tenant", window: "day", remaining: 4_997 },
      { scope: "app", window: "app-minute", remaining: 9_997 },
    ]);
    const declared = new Set([...provider.limits.tenant.windows, ...(provider.limits.app?.windows ?? [])].map((window) => window.name));
    expect(observations.every((observation) => declared.has(observation.window))).toBe(true);
  });

  describe("429", () => {
    const cases: [string, Parameters<FakeXero["throttleNext"]>[0], { retryAfterMs: number; scope: string; limit: string }][] = [
      ["minute", { problem: "minute", retryAfterSeconds: 27 }, { retryAfterMs: 27_000, scope: "tenant", limit: "minute" }],
      ["day", { problem: "day", retryAfterSeconds: 66_975 }, { retryAfterMs: 66_975_000, scope: "tenant", limit: "day" }],
      ["legacy 'Daily'", { problem: "Daily", retryAfterSeconds: 100 }, { retryAfterMs: 100_000, scope: "tenant", limit: "day" }],
      ["legacy 'Minute'", { problem: "Minute", retryAfterSeconds: 5 }, { retryAfterMs: 5_000, scope: "tenant", limit: "minute" }],
      ["app minute", { problem: "AppMinute", retryAfterSeconds: 12 }, { retryAfterMs: 12_000, scope: "app", limit: "app-minute" }],
    ];
    for (const [name, throttle, expected] of cases) {
      it(`${name} → RateLimitedError with Retry-After, scope and limit, remaining headers observed`, async () => {
        const observations: RateLimitObservation[] = [];
        fake.throttleNext(throttle);
        const limited = await rejection(
          adapter().fetchResources(request([randomUUID()], "CONTACT", { observe: (observation) => observations.push(observation) })),
        );
        expect(limited).toBeInstanceOf(RateLimitedError);
        expect(limited).toMatchObject(expected);
        expect(observations.map((observation) => observation.window).sort()).toEqual(["app-minute", "day", "minute"]);
        expect(fake.calls.throttled).toBe(1);
      });
    }

    it("without Retry-After the declared default applies", async () => {
      fake.failNextRequest({ status: 429, body: "" });
      const limited = await rejection(adapter({ limits: { defaultRetryAfterMs: 4_321 } }).fetchResources(request([randomUUID()])));
      expect(limited).toMatchObject({ retryAfterMs: 4_321, scope: "tenant", limit: undefined });
    });

    it("the fake enforces the minute limit on its own clock and says so", async () => {
      let now = 5_000_000;
      const scaled = await startFakeXero({ now: () => now, timeScale: 0.01, limits: { minute: 3 } });
      try {
        const provider = xero({ webhookKey: "k", getAccessToken: () => "t", baseUrl: scaled.url });
        const remaining: number[] = [];
        const observe = (observation: RateLimitObservation) => {
          if (observation.window === "minute") remaining.push(observation.remaining);
        };
        for (let index = 0; index < 3; index += 1) await provider.fetchResources(request([randomUUID()], "INVOICE", { observe }));
        const limited = await rejection(provider.fetchResources(request([randomUUID()], "INVOICE", { observe })));
        expect(limited).toMatchObject({ scope: "tenant", limit: "minute", retryAfterMs: 1_000 });
        expect(remaining).toEqual([2, 1, 0, 0]);
        now += 600; // a scaled minute
        await expect(provider.fetchResources(request([randomUUID()], "INVOICE", { observe }))).resolves.toBeInstanceOf(Map);
        expect(remaining.at(-1)).toBe(2);
      } finally {
        await scaled.close();
      }
    });

    it("the fake enforces the daily limit and the app-minute limit across tenants", async () => {
      const scaled = await startFakeXero({ limits: { day: 2, appMinute: 3 } });
      try {
        const provider = xero({ webhookKey: "k", getAccessToken: () => "t", baseUrl: scaled.url });
        const other = randomUUID();
        await provider.fetchResources(request([randomUUID()]));
        await provider.fetchResources(request([randomUUID()]));
        const day = await rejection(provider.fetchResources(request([randomUUID()])));
        expect(day).toMatchObject({ scope: "tenant", limit: "day" });
        expect((day as RateLimitedError).retryAfterMs).toBeGreaterThan(86_000_000);
        await provider.fetchResources(request([randomUUID()], "INVOICE", { tenantId: other }));
        const app = await rejection(provider.fetchResources(request([randomUUID()], "INVOICE", { tenantId: other })));
        expect(app).toMatchObject({ scope: "app", limit: "app-minute" });
      } finally {
        await scaled.close();
      }
    });
  });

  describe("auth and failures", () => {
    it("401 asks for a token again once and retries once", async () => {
      fake.setTokenValidator((token) => token === "fresh");
      const tokens = ["stale", "fresh"];
      let asked = 0;
      const results = await adapter({ getAccessToken: async () => ((asked += 1), tokens.shift() ?? "") }).fetchResources(request([randomUUID()]));
      expect(results.size).toBe(1);
      expect(asked).toBe(2);
      expect(fake.calls.log.map((call) => call.status)).toEqual([401, 200]);
    });

    it("401 twice → PROVIDER_AUTH_FAILED, not retryable", async () => {
      fake.setTokenValidator(() => false);
      const error = await rejection(adapter().fetchResources(request([randomUUID()])));
      expect(error).toMatchObject({ code: "PROVIDER_AUTH_FAILED", retryable: false, providerStatus: 401 });
      expect(fake.calls.total).toBe(2);
    });

    it("403 (tenant disconnected) → PROVIDER_AUTH_FAILED, not retryable", async () => {
      const error = await rejection(adapter().fetchResources(request([randomUUID()], "INVOICE", { tenantId: "" })));
      expect(error).toMatchObject({ code: "PROVIDER_AUTH_FAILED", retryable: false, providerStatus: 403 });
    });

    it("a failing id fails its call with a retryable 500; a malformed body is a retryable failure", async () => {
      const [bad, other] = guids(2) as [string, string];
      fake.failNext(bad);
      const failed = await rejection(adapter().fetchResources(request([bad, other])));
      expect(failed).toMatchObject({ retryable: true, providerStatus: 500 });
      expect(failed.message).toMatch(/HTTP 500/);
      fake.malformed(other);
      const malformed = await rejection(adapter().fetchResources(request([other])));
      expect(malformed).toMatchObject({ retryable: true });
      expect(malformed.message).toMatch(/not JSON/);
    });

    it("a stalled call times out as a retryable failure", async () => {
      const id = randomUUID();
      fake.stall(id, 400);
      const error = await rejection(adapter({ requestTimeoutMs: 50 }).fetchResources(request([id])));
      expect(error).toMatchObject({ retryable: true });
      expect(error.message).toMatch(/timed out/);
    });
  });
});

describe("xero options", () => {
  const base = { webhookKey: "k", getAccessToken: async () => "t" };
  const cases: [string, unknown, RegExp][] = [
    ["missing webhookKey", { getAccessToken: base.getAccessToken }, /webhookKey/],
    ["idsPerRequest above 52", { ...base, idsPerRequest: 53 }, /idsPerRequest: must be at most 52/],
    ["dailyLimit 0", { ...base, dailyLimit: 0 }, /dailyLimit/],
    ["unknown option", { ...base, idsPerCall: 5 }, /idsPerCall/],
    ["fetch not a function", { ...base, fetch: {} }, /fetch/],
  ];
  for (const [name, options, pattern] of cases) {
    it(name, () => {
      expect(() => xero(options as Parameters<typeof xero>[0])).toThrow(WebhookConfigError);
      expect(() => xero(options as Parameters<typeof xero>[0])).toThrow(pattern);
    });
  }
});
