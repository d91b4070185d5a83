import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChangesAnswer, ListChangesRequest, ProviderAdapter, ProviderChange } from "webhook-inbox";
import { QUICKBOOKS_CDC_MAX_OBJECTS, quickbooks } from "webhook-inbox/quickbooks";
import { startFakeQuickBooks, startFakeXero, type FakeQuickBooks, type FakeXero } from "webhook-inbox/testing";
import { XERO_PAGE_SIZE, xero } from "webhook-inbox/xero";

const DAY = 86_400_000;
const T0 = Date.parse("2030-03-01T00:00:00.000Z");
let clock = T0;
let qbo: FakeQuickBooks;
let fakeXero: FakeXero;

beforeAll(async () => {
  qbo = await startFakeQuickBooks({ now: () => clock, limits: { windows: [] } });
  fakeXero = await startFakeXero({ now: () => clock, limits: { minute: 100_000, day: 100_000 } });
});
afterAll(async () => {
  await Promise.all([qbo.close(), fakeXero.close()]);
});

/** Calls `listChanges` until the window is complete, as the core does; returns every answer. */
async function walk(provider: ProviderAdapter, seed: Omit<ListChangesRequest, "cursor" | "signal" | "observe">): Promise<ChangesAnswer[]> {
  const answers: ChangesAnswer[] = [];
  let cursor: unknown = null;
  do {
    const answer = await provider.listChanges!({ ...seed, cursor, signal: new AbortController().signal, observe: () => {} });
    answers.push(answer);
    cursor = answer.next;
  } while (cursor !== null && answers.length < 100);
  return answers;
}

function newestById(answers: ChangesAnswer[]): Map<string, ProviderChange> {
  const byId = new Map<string, ProviderChange>();
  for (const change of answers.flatMap((answer) => answer.changes)) {
    const known = byId.get(change.entityId);
    if (!known || known.occurredAt <= change.occurredAt) byId.set(change.entityId, change);
  }
  return byId;
}

describe("QuickBooks listChanges", () => {
  const realm = "realm-cdc";
  const provider = quickbooks({ verifierToken: "v", getAccessToken: async () => "token", baseUrl: "http://unused" });
  const adapter = () => quickbooks({ verifierToken: "v", getAccessToken: async () => "token", baseUrl: qbo.url });

  it("splits a window whose CDC answer is full at the newest time it held, never paging by offset, until every change is listed", async () => {
    qbo.reset();
    expect(provider.listChanges).toBeTypeOf("function");
    const since = clock;
    for (let index = 1; index <= 2_500; index += 1) {
      clock = since + index * 10;
      qbo.records.set(realm, "Invoice", String(index), { TotalAmt: index });
    }
    clock = since + 40_000;
    qbo.records.delete(realm, "Invoice", "7");
    clock = since + 60_000;
    const answers = await walk(adapter(), { tenantId: realm, entityType: "Invoice", since: new Date(since), until: new Date(clock), now: new Date(clock) });
    const cdcCalls = qbo.calls.log.filter((call) => call.endpoint === "cdc");
    expect(cdcCalls.length).toBe(answers.length);
    expect(answers.length).toBe(3);
    for (const answer of answers) expect(answer.changes.length).toBeLessThanOrEqual(QUICKBOOKS_CDC_MAX_OBJECTS);
    expect(answers.slice(0, -1).every((answer) => /window split at/.test(answer.note ?? ""))).toBe(true);
    const byId = newestById(answers);
    expect(byId.size).toBe(2_500);
    expect(byId.get("7")).toMatchObject({ deleted: true, data: null });
    expect(byId.get("8")).toMatchObject({ deleted: false, data: { Id: "8", TotalAmt: 8 } });
    expect(answers.every((answer) => answer.path === "cdc")).toBe(true);
  });

  it("reconciles a watermark older than CDC's 30 days by query, paged with STARTPOSITION/MAXRESULTS, and says so", async () => {
    qbo.reset();
    const since = clock;
    for (let index = 1; index <= 1_200; index += 1) {
      clock = since + index;
      qbo.records.set(realm, "Customer", String(index), { DisplayName: `c${index}`, Active: index % 2 === 0 });
    }
    clock = since + 31 * DAY;
    const answers = await walk(adapter(), { tenantId: realm, entityType: "Customer", since: new Date(since), until: new Date(clock), now: new Date(clock) });
    expect(answers.every((answer) => answer.path === "query")).toBe(true);
    expect(answers[0]!.note).toMatch(/older than ChangeDataCapture's 30 days/);
    expect(qbo.calls.count({ endpoint: "cdc" })).toBe(0);
    expect(qbo.calls.count({ endpoint: "query" })).toBe(answers.length);
    expect(answers.length).toBe(2);
    // Inactive customers are changes too.
    expect(newestById(answers).size).toBe(1_200);
  });
});

describe("Xero listChanges", () => {
  const tenant = "0b5e7b5a-6a52-4d53-a7ef-1d5cf2f2b0a1";
  const adapter = () => xero({ webhookKey: "k", getAccessToken: async () => "token", baseUrl: fakeXero.url });
  const guid = (index: number) => `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`;

  it("pages If-Modified-Since answers (100 a page) from the newest time seen until a page is short", async () => {
    fakeXero.reset();
    const old = clock;
    fakeXero.records.set(tenant, "INVOICE", guid(9_999), { Total: 0 });
    const since = old + 5_000;
    for (let index = 1; index <= 250; index += 1) {
      clock = since + index * 1_000;
      fakeXero.records.set(tenant, "INVOICE", guid(index), { Total: index });
    }
    clock = since + 400_000;
    const answers = await walk(adapter(), { tenantId: tenant, entityType: "INVOICE", since: new Date(since), until: new Date(clock), now: new Date(clock) });
    for (const answer of answers) expect(answer.changes.length).toBeLessThanOrEqual(XERO_PAGE_SIZE);
    expect(answers.every((answer) => answer.path === "modified-since")).toBe(true);
    const byId = newestById(answers);
    expect(byId.size).toBe(250);
    expect(byId.has(guid(9_999))).toBe(false);
    expect(fakeXero.calls.total).toBe(answers.length);
  });
});
