import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeQuickBooks, startFakeXero, type FakeQuickBooks, type FakeXero } from "webhook-inbox/testing";

describe("startFakeQuickBooks()", () => {
  let fake: FakeQuickBooks;
  beforeAll(async () => {
    fake = await startFakeQuickBooks();
  });
  afterAll(() => fake.close());

  const batch = (realm: string, items: unknown[], token = "t") =>
    fetch(`${fake.url}/v3/company/${realm}/batch?minorversion=75`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token === "" ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ BatchItemRequest: items }),
    });

  it("listens on 127.0.0.1 with a random port", () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("answers 401 with an AuthenticationFailed fault without a Bearer token, and counts the call", async () => {
    fake.reset();
    const response = await batch("1", [], "");
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ fault: { type: "AUTHENTICATION", error: [{ code: "3200" }] } });
    expect(fake.calls.count({ status: 401, tenantId: "1", endpoint: "batch" })).toBe(1);
  });

  it("keeps records per realm; update moves SyncToken and LastUpdatedTime; delete makes an id vanish", async () => {
    fake.reset();
    fake.records.set("1", "Invoice", "5", { TotalAmt: 1 });
    fake.records.set("2", "Invoice", "5", { TotalAmt: 2 });
    const updated = fake.records.update("1", "Invoice", "5", { TotalAmt: 3 });
    expect(updated).toMatchObject({ Id: "5", TotalAmt: 3, SyncToken: "1" });
    const query = async (realm: string) =>
      (await (await batch(realm, [{ bId: "a", Query: "select * from Invoice where Id in ('5')" }])).json()) as {
        BatchItemResponse: { bId: string; QueryResponse: { Invoice?: { TotalAmt: number }[] } }[];
      };
    expect((await query("1")).BatchItemResponse[0]!.QueryResponse.Invoice![0]!.TotalAmt).toBe(3);
    expect((await query("2")).BatchItemResponse[0]!.QueryResponse.Invoice![0]!.TotalAmt).toBe(2);
    fake.records.delete("1", "Invoice", "5");
    expect((await query("1")).BatchItemResponse[0]!.QueryResponse).toEqual({});
  });

  it("answers a malformed query with a per-item QueryParserError, next to a good item", async () => {
    fake.reset();
    fake.records.set("1", "Customer", "1");
    const response = await batch("1", [
      { bId: "bad", Query: "selec * form Customer" },
      { bId: "good", Query: "select * from Customer where Id = '1'" },
    ]);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { BatchItemResponse: Record<string, unknown>[] };
    expect(body.BatchItemResponse[0]).toMatchObject({ bId: "bad", Fault: { type: "ValidationFault", Error: [{ code: "4000" }] } });
    expect(body.BatchItemResponse[1]).toMatchObject({ bId: "good", QueryResponse: { Customer: [{ Id: "1" }], startPosition: 1, maxResults: 1 } });
  });

  /** Waits until the fake holds a call for this realm (no fixed sleep: robust on a busy machine). */
  async function untilInFlight(realm: string): Promise<void> {
    for (let tries = 0; fake.inFlight(realm) === 0; tries += 1) {
      if (tries > 400) throw new Error("the stalled call never arrived");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it("enforces the per-realm concurrency limit with the throttle", async () => {
    fake.reset();
    fake.setLimits({ concurrency: 1 });
    try {
      fake.stall("9", 300);
      const slow = batch("1", [{ bId: "a", Query: "select * from Invoice where Id in ('9')" }]);
      await untilInFlight("1");
      const second = await batch("1", [{ bId: "a", Query: "select * from Invoice where Id in ('1')" }]);
      expect(second.status).toBe(429);
      expect(await second.text()).toContain("ThrottleExceeded");
      expect((await slow).status).toBe(200);
      // Another realm is not affected.
      const slowAgain = batch("1", [{ bId: "a", Query: "select * from Invoice where Id in ('9')" }]);
      await untilInFlight("1");
      expect((await batch("2", [{ bId: "a", Query: "select * from Invoice where Id in ('1')" }])).status).toBe(200);
      await slowAgain;
    } finally {
      fake.setLimits({ concurrency: 10 });
    }
  });
});

describe("startFakeXero()", () => {
  let fake: FakeXero;
  const tenant = randomUUID();
  beforeAll(async () => {
    fake = await startFakeXero();
  });
  afterAll(() => fake.close());

  const get = (path: string, headers: Record<string, string> = { authorization: "Bearer t", "xero-tenant-id": tenant }) =>
    fetch(`${fake.url}${path}`, { headers });

  it("serves under /api.xro/2.0 and answers 401 without a token, 403 without xero-tenant-id", async () => {
    fake.reset();
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\.xro\/2\.0$/);
    expect((await get("/Invoices", {})).status).toBe(401);
    expect((await get("/Invoices", { authorization: "Bearer t" })).status).toBe(403);
    expect(fake.calls.total).toBe(2);
  });

  it("every answer carries the remaining-budget headers", async () => {
    fake.reset();
    const response = await get("/Contacts?IDs=" + randomUUID());
    expect(response.headers.get("x-minlimit-remaining")).toBe("59");
    expect(response.headers.get("x-daylimit-remaining")).toBe("4999");
    expect(response.headers.get("x-appminlimit-remaining")).toBe("9999");
  });

  it("like Xero, GET /CreditNotes has no IDs filter: the parameter is ignored", async () => {
    fake.reset();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    fake.records.seed(tenant, "CREDITNOTE", ids);
    const body = (await (await get(`/CreditNotes?IDs=${ids[0]}`)).json()) as { CreditNotes: { CreditNoteID: string }[] };
    expect(body.CreditNotes.map((note) => note.CreditNoteID)).toEqual(ids);
    const one = (await (await get(`/CreditNotes/${ids[1]}`)).json()) as { CreditNotes: { CreditNoteID: string }[] };
    expect(one.CreditNotes.map((note) => note.CreditNoteID)).toEqual([ids[1]]);
    expect((await get(`/CreditNotes/${randomUUID()}`)).status).toBe(404);
  });

  it("a minute breach answers 429 with Retry-After, X-Rate-Limit-Problem and remaining 0", async () => {
    fake.reset();
    fake.setLimits({ minute: 2 });
    try {
      await get("/Invoices");
      await get("/Invoices");
      const limited = await get("/Invoices");
      expect(limited.status).toBe(429);
      expect(limited.headers.get("x-rate-limit-problem")).toBe("minute");
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(59);
      expect(limited.headers.get("x-minlimit-remaining")).toBe("0");
      expect(fake.calls.throttled).toBe(1);
    } finally {
      fake.setLimits({ minute: 60 });
    }
  });
});
