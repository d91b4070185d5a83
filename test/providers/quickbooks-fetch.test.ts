import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ProviderRequestError, RateLimitedError, WebhookConfigError, type FetchResourcesRequest, type ProviderAdapter } from "webhook-inbox";
import { QUICKBOOKS_BATCH_MAX_ITEMS, QUICKBOOKS_BATCH_MAX_RESPONSE_OBJECTS, QUICKBOOKS_DEFAULT_LIMITS, quickbooks } from "webhook-inbox/quickbooks";
import { QUICKBOOKS_THROTTLE_FAULT_XML, startFakeQuickBooks, type FakeQuickBooks } from "webhook-inbox/testing";
import { fixtureText } from "./fixtures.ts";

const realm = "9130357766900000001";
let fake: FakeQuickBooks;

beforeAll(async () => {
  fake = await startFakeQuickBooks();
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.reset();
  fake.setTokenValidator((token) => token.length > 0);
  fake.setLimits({ concurrency: 10, windows: [...QUICKBOOKS_DEFAULT_LIMITS.tenant.windows] });
});

function adapter(options: Partial<Parameters<typeof quickbooks>[0]> = {}): ProviderAdapter {
  return quickbooks({ verifierToken: "v", getAccessToken: async () => "token", baseUrl: fake.url, ...options });
}

function request(ids: string[], entityType = "Invoice", extra: Partial<FetchResourcesRequest> = {}): FetchResourcesRequest {
  return { tenantId: realm, entityType, ids, signal: new AbortController().signal, observe: () => {}, ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => String(from + index));

describe("quickbooks fetchResources against the fake", () => {
  it("declares Intuit's published limits and maxBatchSize = maxItemsPerBatch × idsPerQuery, capped at the 1,000-object response", () => {
    const provider = adapter();
    expect(provider.name).toBe("quickbooks");
    expect(provider.limits).toEqual({
      tenant: {
        concurrency: 10,
        windows: [
          { name: "second", limit: 10, intervalMs: 1_000 },
          { name: "minute", limit: 500, intervalMs: 60_000 },
          { name: "batch-minute", limit: 40, intervalMs: 60_000 },
        ],
      },
      defaultRetryAfterMs: 60_000,
    });
    expect(QUICKBOOKS_BATCH_MAX_RESPONSE_OBJECTS).toBe(1000);
    expect(QUICKBOOKS_BATCH_MAX_ITEMS).toBe(30);
    // 30 items × 100 ids would be 3,000, but a batch response returns at most 1,000 objects.
    expect(provider.maxBatchSize("Invoice")).toBe(1000);
    expect(adapter({ maxItemsPerBatch: 10, idsPerQuery: 25 }).maxBatchSize("Customer")).toBe(250);
    expect(adapter({ maxItemsPerBatch: 30, idsPerQuery: 40 }).maxBatchSize("Customer")).toBe(1000);
    const tuned = adapter({ limits: { tenant: { concurrency: 2 }, defaultRetryAfterMs: 5_000 } });
    expect(tuned.limits.tenant).toEqual({ concurrency: 2, windows: QUICKBOOKS_DEFAULT_LIMITS.tenant.windows });
    expect(tuned.limits.defaultRetryAfterMs).toBe(5_000);
  });

  it("found and missing ids in one batch call", async () => {
    fake.records.seed(realm, "Invoice", range(1, 5), (id) => ({ DocNumber: `INV-${id}`, TotalAmt: Number(id) * 10 }));
    const results = await adapter().fetchResources(request(["1", "2", "3", "99"]));
    expect(fake.calls.count({ endpoint: "batch" })).toBe(1);
    expect(results.get("1")).toEqual({ status: "found", data: expect.objectContaining({ Id: "1", DocNumber: "INV-1", TotalAmt: 10 }) });
    expect(results.get("3")).toMatchObject({ status: "found", data: { Id: "3" } });
    expect(results.get("99")).toEqual({ status: "missing" });
    expect(results.size).toBe(4);
  });

  it("packs 250 ids into ONE HTTP call of 3 query items (100 ids each), and 1,000 into one call of 10", async () => {
    fake.records.seed(realm, "Invoice", range(1, 1000));
    const results = await adapter().fetchResources(request(range(1, 250)));
    expect(fake.calls.total).toBe(1);
    expect(fake.batchItems()).toBe(3);
    expect([...results.values()].every((result) => result.status === "found")).toBe(true);
    fake.calls.reset();
    const all = await adapter().fetchResources(request(range(1, 1000)));
    expect(fake.calls.total).toBe(1);
    expect(fake.batchItems()).toBe(10);
    expect([...all.values()].filter((result) => result.status === "found")).toHaveLength(1000);
  });

  it("the fake cuts a batch response off at 1,000 objects, as Intuit's Batch reference says", async () => {
    fake.records.seed(realm, "Invoice", range(1, 3000));
    const items = Array.from({ length: 30 }, (_, index) => {
      const ids = range(index * 100 + 1, index * 100 + 100);
      return { bId: `b${index}`, Query: `select * from Invoice where Id in (${ids.map((id) => `'${id}'`).join(",")}) maxresults 100` };
    });
    const response = await fetch(`${fake.url}/v3/company/${realm}/batch`, {
      method: "POST",
      headers: { authorization: "Bearer x", "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ BatchItemRequest: items }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { BatchItemResponse: { bId: string; QueryResponse: { Invoice?: unknown[] } }[] };
    const rows = body.BatchItemResponse.reduce((sum, item) => sum + (item.QueryResponse.Invoice?.length ?? 0), 0);
    expect(rows).toBe(1000);
    expect(body.BatchItemResponse[9]!.QueryResponse.Invoice).toHaveLength(100);
    expect(body.BatchItemResponse[10]!.QueryResponse).toEqual({});
  });

  it("sends minorversion, a Bearer token, JSON, and query items with an Id IN list", async () => {
    const seen: { url: string; headers: Record<string, string>; body: unknown }[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      seen.push({ url: String(input), headers: init?.headers as Record<string, string>, body: JSON.parse(String(init?.body)) });
      return fetch(input, init);
    };
    await adapter({ fetch: recordingFetch, idsPerQuery: 2 }).fetchResources(request(["7", "8", "9"], "Customer"));
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe(`${fake.url}/v3/company/${realm}/batch?minorversion=75`);
    expect(seen[0]!.headers).toMatchObject({ authorization: "Bearer token", "content-type": "application/json", accept: "application/json" });
    expect(seen[0]!.body).toEqual({
      BatchItemRequest: [
        { bId: "q0", Query: "select * from Customer where Id in ('7','8') and Active in (true, false) maxresults 2" },
        { bId: "q1", Query: "select * from Customer where Id in ('9') and Active in (true, false) maxresults 1" },
      ],
    });
  });

  it("an inactive customer is found: name-list entities are queried with Active in (true, false); transactions are not", async () => {
    fake.setLimits({ windows: [] }); // a dozen calls in a row: the 10/s window is not under test here
    fake.records.set(realm, "Customer", "21", { DisplayName: "Closed account", Active: false });
    fake.records.set(realm, "Customer", "22", { DisplayName: "Open account", Active: true });
    fake.records.set(realm, "Invoice", "31", {});
    // The fake is faithful: a plain query leaves the inactive customer out, as QuickBooks does.
    const plain = await fetch(`${fake.url}/v3/company/${realm}/query?query=${encodeURIComponent("select * from Customer where Id in ('21','22')")}`, {
      headers: { authorization: "Bearer x", accept: "application/json" },
    });
    const plainRows = ((await plain.json()) as { QueryResponse: { Customer?: { Id: string }[] } }).QueryResponse.Customer ?? [];
    expect(plainRows.map((row) => row.Id)).toEqual(["22"]);

    const sent: string[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      for (const item of (JSON.parse(String(init?.body)) as { BatchItemRequest: { Query: string }[] }).BatchItemRequest) sent.push(item.Query);
      return fetch(input, init);
    };
    const results = await adapter({ fetch: recordingFetch }).fetchResources(request(["21", "22"], "Customer"));
    expect(results.get("21")).toMatchObject({ status: "found", data: { Id: "21", DisplayName: "Closed account", Active: false } });
    expect(results.get("22")).toMatchObject({ status: "found", data: { Id: "22" } });
    await adapter({ fetch: recordingFetch }).fetchResources(request(["31"], "Invoice"));
    expect(sent).toEqual([
      "select * from Customer where Id in ('21','22') and Active in (true, false) maxresults 2",
      "select * from Invoice where Id in ('31') maxresults 1",
    ]);
    for (const entity of ["Vendor", "Employee", "Item", "Account", "Class", "Department", "Term", "PaymentMethod", "TaxCode"]) {
      fake.records.set(realm, entity, "5", { Active: false });
      const found = await adapter().fetchResources(request(["5"], entity));
      expect(found.get("5"), entity).toMatchObject({ status: "found", data: { Id: "5", Active: false } });
    }
  });

  it("ids QuickBooks compares as numbers are mapped back to the ids asked for (000000011 is 11)", async () => {
    fake.records.set(realm, "Employee", "11", { DisplayName: "Payroll employee" });
    const sent: string[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      for (const item of (JSON.parse(String(init?.body)) as { BatchItemRequest: { Query: string }[] }).BatchItemRequest) sent.push(item.Query);
      return fetch(input, init);
    };
    const results = await adapter({ fetch: recordingFetch }).fetchResources(request(["000000011", "11", "0012"], "Employee"));
    expect(results.get("000000011")).toMatchObject({ status: "found", data: { Id: "11", DisplayName: "Payroll employee" } });
    expect(results.get("11")).toMatchObject({ status: "found", data: { Id: "11" } });
    expect(results.get("0012")).toEqual({ status: "missing" });
    expect(sent).toEqual(["select * from Employee where Id in ('11','12') and Active in (true, false) maxresults 2"]);
  });

  it("a per-item Fault fails only that item's ids; neighbours are found", async () => {
    fake.records.seed(realm, "Invoice", range(1, 6));
    fake.failNext("3");
    fake.failAlways("5", {
      type: "ValidationFault",
      Error: [{ Message: "Object Not Found", code: "610", Detail: "Object Not Found : Something you're trying to use has been made inactive.", element: "" }],
    });
    const results = await adapter({ idsPerQuery: 2 }).fetchResources(request(range(1, 6)));
    expect(fake.calls.total).toBe(1);
    expect(results.get("1")?.status).toBe("found");
    expect(results.get("2")?.status).toBe("found");
    for (const id of ["3", "4"]) {
      const result = results.get(id);
      expect(result?.status).toBe("error");
      const error = (result as unknown as { error: ProviderRequestError }).error;
      expect(error).toBeInstanceOf(ProviderRequestError);
      expect(error.message).toMatch(/SystemFault 10000/);
      expect(error.retryable).toBe(true);
    }
    for (const id of ["5", "6"]) {
      const error = (results.get(id) as unknown as { error: ProviderRequestError }).error;
      expect(error.message).toMatch(/ValidationFault 610: Object Not Found/);
      expect(error.retryable).toBe(false);
    }
    // failNext is spent: the next call finds 3 and 4.
    const again = await adapter({ idsPerQuery: 2 }).fetchResources(request(["3", "4"]));
    expect(again.get("3")?.status).toBe("found");
  });

  it("a malformed QueryResponse fails only its item", async () => {
    fake.records.seed(realm, "Bill", range(1, 4));
    fake.malformed("2");
    const results = await adapter({ idsPerQuery: 2 }).fetchResources(request(range(1, 4), "Bill"));
    expect(results.get("1")?.status).toBe("error");
    expect(results.get("2")?.status).toBe("error");
    expect(results.get("3")?.status).toBe("found");
    expect(results.get("4")?.status).toBe("found");
  });

  it("ids that could break the query are errors and never sent", async () => {
    fake.records.seed(realm, "Invoice", ["1"]);
    const results = await adapter().fetchResources(request(["1", "1') or ('1'='1"]));
    expect(results.get("1")?.status).toBe("found");
    expect(results.get("1') or ('1'='1")).toMatchObject({ status: "error" });
    const unsafeType = await adapter().fetchResources(request(["1"], "Invoice where 1=1"));
    expect(unsafeType.get("1")).toMatchObject({ status: "error" });
    expect(fake.calls.total).toBe(1);
  });

  describe("throttling", () => {
    it("the fake's 429 body is the fixture's XML, byte for byte", async () => {
      fake.throttleNext();
      const response = await fetch(`${fake.url}/v3/company/${realm}/batch`, {
        method: "POST",
        headers: { authorization: "Bearer x", "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ BatchItemRequest: [] }),
      });
      expect(response.status).toBe(429);
      expect(await response.text()).toBe(fixtureText("qbo-429-throttle-fault.xml"));
      expect(QUICKBOOKS_THROTTLE_FAULT_XML).toBe(fixtureText("qbo-429-throttle-fault.xml"));
    });

    const cases: [string, Parameters<FakeQuickBooks["throttleNext"]>[0], number][] = [
      ["429 with the XML fault 3001, no Retry-After → 60 s", {}, 60_000],
      ["403 with the XML fault 3001 → 60 s", { status: 403 }, 60_000],
      ["429 with the JSON fault 3001 → 60 s", { format: "json" }, 60_000],
      ["403 with the JSON fault 3001 → 60 s", { status: 403, format: "json" }, 60_000],
      ["429 with Retry-After: 7 → 7 s", { retryAfterSeconds: 7 }, 7_000],
    ];
    for (const [name, throttle, waitMs] of cases) {
      it(name, async () => {
        fake.records.seed(realm, "Invoice", ["1"]);
        fake.throttleNext(throttle);
        const error = await rejection(adapter().fetchResources(request(["1"])));
        expect(error).toBeInstanceOf(RateLimitedError);
        expect((error as RateLimitedError).retryAfterMs).toBe(waitMs);
        expect((error as RateLimitedError).scope).toBe("tenant");
        expect((error as RateLimitedError).code).toBe("RATE_LIMITED");
        expect(fake.calls.throttled).toBe(1);
      });
    }

    it("the default wait follows limits.defaultRetryAfterMs", async () => {
      fake.throttleNext();
      const error = await rejection(adapter({ limits: { defaultRetryAfterMs: 1_234 } }).fetchResources(request(["1"])));
      expect((error as RateLimitedError).retryAfterMs).toBe(1_234);
    });

    it("a throttle fault inside one batch item throttles the realm", async () => {
      fake.failNext("2", {
        type: "SERVICE",
        Error: [{ Message: "message=ThrottleExceeded; errorCode=003001; statusCode=429", Detail: "The request limit was reached.", code: "3001" }],
      });
      const error = await rejection(adapter({ idsPerQuery: 1 }).fetchResources(request(["1", "2"])));
      expect(error).toBeInstanceOf(RateLimitedError);
    });

    it("the fake enforces batch-minute on its own clock; the adapter turns the breach into a 60 s wait", async () => {
      let now = 1_000_000;
      const scaled = await startFakeQuickBooks({ now: () => now, timeScale: 0.01 });
      try {
        scaled.setLimits({ windows: [{ name: "batch-minute", limit: 2, intervalMs: 60_000 }] });
        const provider = quickbooks({ verifierToken: "v", getAccessToken: () => "t", baseUrl: scaled.url });
        await provider.fetchResources(request(["1"]));
        await provider.fetchResources(request(["1"]));
        const error = await rejection(provider.fetchResources(request(["1"])));
        expect(error).toBeInstanceOf(RateLimitedError);
        expect((error as RateLimitedError).retryAfterMs).toBe(60_000);
        now += 600; // one scaled minute later
        await expect(provider.fetchResources(request(["1"]))).resolves.toBeInstanceOf(Map);
        expect(scaled.calls.total).toBe(4);
        expect(scaled.calls.throttled).toBe(1);
      } finally {
        await scaled.close();
      }
    });
  });

  describe("auth and failures", () => {
    it("401 asks getAccessToken again once and retries the call once", async () => {
      fake.records.seed(realm, "Invoice", ["1"]);
      fake.setTokenValidator((token) => token === "fresh");
      const tokens = ["stale", "fresh"];
      const asked: string[] = [];
      const provider = adapter({ getAccessToken: async (realmId: string) => (asked.push(realmId), tokens.shift() ?? "none") });
      const results = await provider.fetchResources(request(["1"]));
      expect(results.get("1")?.status).toBe("found");
      expect(asked).toEqual([realm, realm]);
      expect(fake.calls.log.map((call) => call.status)).toEqual([401, 200]);
    });

    it("401 twice → PROVIDER_AUTH_FAILED, not retryable, token asked exactly twice", async () => {
      fake.setTokenValidator(() => false);
      let asked = 0;
      const error = await rejection(adapter({ getAccessToken: async () => ((asked += 1), "revoked") }).fetchResources(request(["1"])));
      expect(error).toBeInstanceOf(ProviderRequestError);
      expect((error as ProviderRequestError).code).toBe("PROVIDER_AUTH_FAILED");
      expect((error as ProviderRequestError).retryable).toBe(false);
      expect(error.message).not.toContain("revoked");
      expect(asked).toBe(2);
      expect(fake.calls.total).toBe(2);
    });

    it("a throwing getAccessToken is a retryable auth failure", async () => {
      const error = await rejection(
        adapter({
          getAccessToken: async () => {
            throw new Error("refresh endpoint down");
          },
        }).fetchResources(request(["1"])),
      );
      expect(error).toMatchObject({ code: "PROVIDER_AUTH_FAILED", retryable: true });
      expect(fake.calls.total).toBe(0);
    });

    it("5xx → retryable ProviderRequestError; other 4xx → not retryable", async () => {
      fake.failNextRequest({ status: 503, body: "Service Unavailable" });
      const unavailable = await rejection(adapter().fetchResources(request(["1"])));
      expect(unavailable).toBeInstanceOf(ProviderRequestError);
      expect(unavailable).toMatchObject({ retryable: true, providerStatus: 503, code: "PROVIDER_REQUEST_FAILED" });
      fake.failNextRequest({
        status: 400,
        body: JSON.stringify({ Fault: { type: "ValidationFault", Error: [{ Message: "Bad", code: "2010" }] } }),
        contentType: "application/json",
      });
      const bad = await rejection(adapter().fetchResources(request(["1"])));
      expect(bad).toMatchObject({ retryable: false, providerStatus: 400 });
      expect(bad.message).toMatch(/ValidationFault 2010/);
    });

    it("a 200 that is not a batch response is a retryable failure", async () => {
      fake.failNextRequest({ status: 200, body: "<html>maintenance</html>", contentType: "text/html" });
      const error = await rejection(adapter().fetchResources(request(["1"])));
      expect(error).toMatchObject({ retryable: true });
      expect(error.message).toMatch(/no BatchItemResponse/);
    });

    it("a stalled call times out as a retryable failure", async () => {
      fake.stall("1", 400);
      const error = await rejection(adapter({ requestTimeoutMs: 50 }).fetchResources(request(["1"])));
      expect(error).toBeInstanceOf(ProviderRequestError);
      expect(error).toMatchObject({ retryable: true });
      expect(error.message).toMatch(/timed out after 50 ms/);
    });

    it("a network error is retryable", async () => {
      const closed = await startFakeQuickBooks();
      await closed.close();
      const error = await rejection(adapter({ baseUrl: closed.url }).fetchResources(request(["1"])));
      expect(error).toMatchObject({ retryable: true, code: "PROVIDER_REQUEST_FAILED" });
    });

    it("the fake refuses a batch above its item cap, as QuickBooks does", async () => {
      const items = range(1, 31).map((id) => ({ bId: id, Query: `select * from Invoice where Id in ('${id}')` }));
      const response = await fetch(`${fake.url}/v3/company/${realm}/batch`, {
        method: "POST",
        headers: { authorization: "Bearer x", "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ BatchItemRequest: items }),
      });
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(/exceeds the maximum of 30/);
    });

    it("more ids than maxBatchSize is a contract breach, refused before any call", async () => {
      const error = await rejection(adapter({ maxItemsPerBatch: 1, idsPerQuery: 2 }).fetchResources(request(["1", "2", "3"])));
      expect(error).toMatchObject({ retryable: false });
      expect(fake.calls.total).toBe(0);
    });
  });
});

describe("quickbooks options", () => {
  const base = { verifierToken: "v", getAccessToken: async () => "t" };
  const cases: [string, unknown, RegExp][] = [
    ["missing verifierToken", { getAccessToken: base.getAccessToken }, /verifierToken/],
    ["getAccessToken not a function", { ...base, getAccessToken: "token" }, /getAccessToken/],
    ["baseUrl not a URL", { ...base, baseUrl: "quickbooks" }, /baseUrl/],
    ["maxItemsPerBatch 0", { ...base, maxItemsPerBatch: 0 }, /maxItemsPerBatch/],
    ["maxItemsPerBatch above Intuit's 30", { ...base, maxItemsPerBatch: 31 }, /maxItemsPerBatch/],
    ["idsPerQuery above maxResultsPerQuery", { ...base, idsPerQuery: 500, maxResultsPerQuery: 100 }, /idsPerQuery/],
    ["unknown option", { ...base, maxItemPerBatch: 10 }, /maxItemPerBatch/],
    ["bad limits override", { ...base, limits: { tenant: { concurrency: -1 } } }, /limits\.tenant\.concurrency/],
  ];
  for (const [name, options, pattern] of cases) {
    it(name, () => {
      let caught: unknown;
      try {
        quickbooks(options as Parameters<typeof quickbooks>[0]);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(WebhookConfigError);
      expect((caught as Error).message).toMatch(pattern);
    });
  }
});
