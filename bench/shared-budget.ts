/**
 * 3b. One provider budget across instances: one Xero organisation and one QuickBooks realm drained
 * by 1 and then by 4 inbox instances on one PostgreSQL schema (each instance its own PostgresStore and
 * pool, as separate processes would have), against the fakes enforcing the providers' published limits
 * on a compressed clock (the fakes' `timeScale`, the inboxes' limits scaled the same way). The
 * instances share the budget through `store.rateBudget`. Per provider: the 429s provoked (target:
 * none) and the drain time / the theoretical minimum the limits allow (target ≤ 1.10).
 */
import { PostgresStore } from "../adapters/postgres/index.ts";
import { quickbooks } from "../adapters/quickbooks/index.ts";
import { createWebhookInbox, type WebhookProcessor } from "../src/index.ts";
import { startFakeQuickBooks, startFakeXero } from "../src/testing/index.ts";
import { DATABASE_URL, type BenchConfig } from "./lib/config.ts";
import { seed, xeroAgainst } from "./lib/fakes.ts";
import { fmt, since, sleep, type ResultRow, type SectionResult } from "./lib/report.ts";
import { silentLogger } from "./lib/silent-logger.ts";
import { dropSchema, uniqueName } from "./lib/stores.ts";
import { QBO_VERIFIER_TOKEN, guid, signedChange, type BenchEntity } from "./lib/workload.ts";

type Settings = BenchConfig["sharedBudget"];

/** The limits that bind: Xero's 60 calls a minute per organisation, QuickBooks' 40 batch calls a minute per realm. */
const XERO_PER_MINUTE = 60;
const XERO_IDS_PER_CALL = 50;
const QBO_BATCH_PER_MINUTE = 40;
const XERO_TENANT = guid(0xb0d6e7, 0);
const QBO_REALM = "9130000000000424242";
/** A second, small Xero organisation whose changes arrive one by one while the large one drains (tenant fairness). */
const XERO_SMALL_TENANT = guid(0xb0d6e8, 0);
const SMALL_EVENTS = 20;

/** The small tenant's changes, one every `windowMs / 6`, from a quarter of that after the start. */
function smallTenantArrivals(windowMs: number): { entity: BenchEntity; atMs: number }[] {
  const every = windowMs / 6;
  return Array.from({ length: SMALL_EVENTS }, (_, i) => ({
    entity: { provider: "xero", tenantId: XERO_SMALL_TENANT, entityType: "INVOICE", entityId: guid(0xb4, i) },
    atMs: every / 4 + i * every,
  }));
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

function backlog(settings: Settings): BenchEntity[] {
  const xero = (entityType: string, count: number, prefix: number) =>
    Array.from({ length: count }, (_, i): BenchEntity => ({ provider: "xero", tenantId: XERO_TENANT, entityType, entityId: guid(prefix, i) }));
  const qbo = Array.from(
    { length: settings.qboInvoices },
    (_, i): BenchEntity => ({ provider: "quickbooks", tenantId: QBO_REALM, entityType: "Invoice", entityId: String(7_000 + i) }),
  );
  const lists = [
    xero("INVOICE", settings.xeroInvoices, 0xb1),
    xero("CONTACT", settings.xeroContacts, 0xb2),
    xero("CREDITNOTE", settings.xeroCreditNotes, 0xb3),
    qbo,
  ];
  // Interleaved, the way both companies' edits arrive.
  const mixed: BenchEntity[] = [];
  for (let i = 0; i < Math.max(...lists.map((list) => list.length)); i += 1) for (const list of lists) if (list[i]) mixed.push(list[i]!);
  return mixed;
}

/** Fewest calls: Xero invoices and contacts 50 a call, credit notes one each; QuickBooks one id per batch call here. */
function minimumCalls(settings: Settings): { xero: number; quickbooks: number } {
  return {
    xero: Math.ceil(settings.xeroInvoices / XERO_IDS_PER_CALL) + Math.ceil(settings.xeroContacts / XERO_IDS_PER_CALL) + settings.xeroCreditNotes,
    quickbooks: settings.qboInvoices,
  };
}

/** With `calls` and `perWindow` per sliding window, the last window opens this long after the first call. */
function minimumDrainMs(calls: number, perWindow: number, windowMs: number): number {
  return (Math.ceil(calls / perWindow) - 1) * windowMs;
}

interface RunResult {
  readonly instances: number;
  readonly finished: number;
  readonly total: number;
  readonly drainMs: { xero: number; quickbooks: number };
  readonly throttled: { xero: number; quickbooks: number };
  readonly calls: { xero: number; quickbooks: number };
  /** The small tenant's time from receive() to its handler, per change (ms, sorted). */
  readonly smallTenantMs: readonly number[];
}

interface TraceEntry {
  readonly kind: string;
  readonly instance: number;
  readonly provider?: string;
  readonly at: number;
  readonly doneAt: number;
  readonly granted?: boolean;
  readonly retryAt?: number;
  readonly count?: number;
}

/** Records every reservation, end and claim of one store (wall clock, Date.now ms) for the idle-gap analysis (`SHARED_BUDGET_TRACE=prefix`). */
function traceStore(store: PostgresStore, instance: number, trace: TraceEntry[]): void {
  const budget = store.rateBudget;
  const reserve = budget.reserveCalls.bind(budget);
  const end = budget.endCalls.bind(budget);
  const claim = store.claimDue.bind(store);
  budget.reserveCalls = async (input) => {
    const answer = await reserve(input);
    trace.push({
      kind: "reserve",
      instance,
      provider: input.tenantId === XERO_SMALL_TENANT ? "xero-small" : input.limits.provider,
      at: input.now.getTime(),
      doneAt: Date.now(),
      granted: answer.granted,
      ...(answer.granted ? {} : { retryAt: answer.retryAt.getTime() }),
    });
    return answer;
  };
  budget.endCalls = async (input) => {
    await end(input);
    trace.push({
      kind: "end",
      instance,
      provider: input.tenantId === XERO_SMALL_TENANT ? "xero-small" : input.limits.provider,
      at: input.now.getTime(),
      doneAt: Date.now(),
    });
  };
  store.claimDue = async (input) => {
    const at = Date.now();
    const result = await claim(input);
    trace.push({ kind: "claim", instance, at, doneAt: Date.now(), count: result.events.length });
    return result;
  };
}

/** One drain of the backlog by `instances` inboxes sharing one schema. */
async function drain(settings: Settings, instances: number): Promise<RunResult> {
  const trace: TraceEntry[] | null = process.env.SHARED_BUDGET_TRACE ? [] : null;
  const scale = settings.timeScale;
  const windowMs = Math.round(60_000 * scale);
  const fakeXero = await startFakeXero({ timeScale: scale });
  const fakeQbo = await startFakeQuickBooks({ timeScale: scale });
  const schema = uniqueName("bench_budget");
  const stores: PostgresStore[] = [];
  const inboxes: WebhookProcessor[] = [];
  try {
    const entities = backlog(settings);
    const small = smallTenantArrivals(windowMs);
    seed({ xero: fakeXero, qbo: fakeQbo }, [...entities, ...small.map((arrival) => arrival.entity)]);
    const xeroProvider = xeroAgainst(fakeXero, {
      tenant: {
        concurrency: 5,
        windows: [
          { name: "minute", limit: XERO_PER_MINUTE, intervalMs: windowMs },
          { name: "day", limit: 5_000, intervalMs: Math.round(86_400_000 * scale) },
        ],
      },
      app: { windows: [{ name: "app-minute", limit: 10_000, intervalMs: windowMs }] },
      defaultRetryAfterMs: windowMs,
    });
    const qboProvider = quickbooks({
      verifierToken: QBO_VERIFIER_TOKEN,
      getAccessToken: () => "bench-token",
      baseUrl: fakeQbo.url,
      // One id per call, so the realm's 10/s and 40 batch calls a minute bind.
      maxItemsPerBatch: 1,
      idsPerQuery: 1,
      limits: {
        tenant: {
          concurrency: 10,
          windows: [
            { name: "second", limit: 10, intervalMs: Math.round(1_000 * scale) },
            { name: "minute", limit: 500, intervalMs: windowMs },
            { name: "batch-minute", limit: QBO_BATCH_PER_MINUTE, intervalMs: windowMs },
          ],
        },
        defaultRetryAfterMs: windowMs,
      },
    });
    let finished = 0;
    const lastAt = { xero: 0, quickbooks: 0 };
    const smallReceivedAt = new Map<string, number>();
    const smallTenantMs: number[] = [];
    for (let i = 0; i < instances; i += 1) {
      const store = new PostgresStore({ connectionString: DATABASE_URL, schema, max: 4 });
      stores.push(store);
      if (trace) traceStore(store, i, trace);
      if (i === 0) await store.migrate();
      const inbox = createWebhookInbox({
        store,
        logger: silentLogger,
        workerId: `bench-${i}`,
        integrations: { xero: { provider: xeroProvider, mode: "delayed", delayMs: 0 }, qbo: { provider: qboProvider, mode: "delayed", delayMs: 0 } },
        handler: async (event) => {
          if (event.tenantId === XERO_SMALL_TENANT) {
            const receivedAt = smallReceivedAt.get(event.entityId);
            if (receivedAt !== undefined) smallTenantMs.push(performance.now() - receivedAt);
            return;
          }
          finished += 1;
          lastAt[event.integration === "qbo" ? "quickbooks" : "xero"] = performance.now();
        },
      });
      inboxes.push(inbox);
    }
    for (const [index, entity] of entities.entries()) {
      const { body, headers } = signedChange(entity, new Date(Date.UTC(2025, 0, 6, 9) + index));
      const inbox = inboxes[index % instances]!;
      const result = await inbox.receive({ integration: entity.provider === "quickbooks" ? "qbo" : "xero", rawBody: Buffer.from(body), headers });
      if (result.status >= 300) throw new Error(`receive answered ${result.status}: ${result.body}`);
    }
    const t0 = performance.now();
    await Promise.all(inboxes.map((inbox) => inbox.start()));
    const deadline = t0 + 60 * windowMs + 30_000;
    const arrivals = (async () => {
      for (const [index, { entity, atMs }] of small.entries()) {
        await sleep(Math.max(0, t0 + atMs - performance.now()));
        const { body, headers } = signedChange(entity, new Date(Date.UTC(2025, 0, 6, 10) + index));
        smallReceivedAt.set(entity.entityId, performance.now());
        const result = await inboxes[index % instances]!.receive({ integration: "xero", rawBody: Buffer.from(body), headers });
        if (result.status >= 300) throw new Error(`receive answered ${result.status}: ${result.body}`);
      }
    })();
    while ((finished < entities.length || smallTenantMs.length < small.length) && performance.now() < deadline) await sleep(5);
    await arrivals;
    await Promise.all(inboxes.map((inbox) => inbox.stop()));
    if (trace) {
      const fakeCalls = [
        ...fakeXero.calls.log
          .filter((call) => call.tenantId === XERO_TENANT)
          .map((call) => ({ kind: "call", provider: "xero", at: call.at, throttled: call.throttled })),
        ...fakeQbo.calls.log.map((call) => ({ kind: "call", provider: "quickbooks", at: call.at, throttled: call.throttled })),
      ];
      const { writeFileSync } = await import("node:fs");
      writeFileSync(`${process.env.SHARED_BUDGET_TRACE}-${instances}.json`, JSON.stringify({ t0: performance.timeOrigin + t0, trace, fakeCalls, lastAt }));
    }
    const ok = (calls: readonly { throttled: boolean }[]) => calls.filter((call) => !call.throttled).length;
    return {
      instances,
      finished,
      total: entities.length,
      drainMs: { xero: lastAt.xero - t0, quickbooks: lastAt.quickbooks - t0 },
      throttled: { xero: fakeXero.calls.throttled, quickbooks: fakeQbo.calls.throttled },
      calls: { xero: ok(fakeXero.calls.log.filter((call) => call.tenantId === XERO_TENANT)), quickbooks: ok(fakeQbo.calls.log) },
      smallTenantMs: smallTenantMs.sort((a, b) => a - b),
    };
  } finally {
    await Promise.all(inboxes.map((inbox) => inbox.stop()));
    await Promise.all(stores.map((store) => store.close()));
    await dropSchema(schema);
    await Promise.all([fakeXero.close(), fakeQbo.close()]);
  }
}

/** Runs section 3b: one instance, then four, on PostgreSQL. */
export async function runSharedBudget(config: BenchConfig): Promise<SectionResult> {
  const started = performance.now();
  const settings = config.sharedBudget;
  const windowMs = Math.round(60_000 * settings.timeScale);
  const minimum = minimumCalls(settings);
  const theoretical = {
    xero: minimumDrainMs(minimum.xero, XERO_PER_MINUTE, windowMs),
    quickbooks: minimumDrainMs(minimum.quickbooks, QBO_BATCH_PER_MINUTE, windowMs),
  };
  const failures: string[] = [];
  const rows: ResultRow[] = [];
  const runs: RunResult[] = [];
  for (const instances of [1, 4]) {
    const run = await drain(settings, instances);
    runs.push(run);
    if (run.finished < run.total)
      failures.push(`shared budget, ${instances} instance(s): only ${run.finished} of ${run.total} events finished before the deadline`);
    for (const provider of ["xero", "quickbooks"] as const) {
      const throttled = run.throttled[provider];
      if (throttled > 0) failures.push(`shared budget, ${instances} instance(s): ${throttled} × 429 from the ${provider} fake`);
      const ratio = run.drainMs[provider] / theoretical[provider];
      console.log(
        `  ${provider}, ${instances} instance(s): drained in ${fmt(run.drainMs[provider])} ms (minimum ${fmt(theoretical[provider])} ms for ${minimum[provider]} calls), ` +
          `${run.calls[provider]} calls, ${throttled} × 429`,
      );
      rows.push({
        section: "3b shared budget",
        variant: `${provider === "xero" ? "Xero" : "QuickBooks"} fake, 1 tenant, ${instances === 1 ? "1 instance" : `${instances} instances`} on PostgreSQL, minute = ${fmt(windowMs)} ms`,
        figure: `drained in ${fmt(run.drainMs[provider])} ms / minimum ${fmt(theoretical[provider])} ms; ${run.calls[provider]} calls (min ${minimum[provider]}); ${throttled} × 429`,
        ratio,
        target: "≤ 1.10, 0 × 429",
        met: ratio <= 1.1 && throttled === 0,
      });
    }
  }
  const sides = runs.map((run) => {
    const ms = run.smallTenantMs;
    return `${run.instances === 1 ? "1 instance" : `${run.instances} instances`}: p95 ${fmt(percentile(ms, 0.95))} ms (median ${fmt(percentile(ms, 0.5))}, max ${fmt(ms.at(-1) ?? Number.NaN)}, ${ms.length} of ${SMALL_EVENTS})`;
  });
  for (const run of runs)
    if (run.smallTenantMs.length < SMALL_EVENTS)
      failures.push(
        `shared budget, ${run.instances} instance(s): only ${run.smallTenantMs.length} of the small tenant's ${SMALL_EVENTS} changes were processed`,
      );
  console.log(`  small tenant's time-to-processed while the large one drains: ${sides.join("; ")}`);
  rows.push({
    section: "3b shared budget",
    variant: `Xero fake, a small tenant's ${SMALL_EVENTS} changes (one every ${fmt(windowMs / 6)} ms) while the large one drains, 1 vs 4 instances`,
    figure: `time-to-processed ${sides.join("; ")}`,
    ratio: null,
    met: null,
  });
  const raw = { timeScale: settings.timeScale, windowMs, settings, minimumCalls: minimum, theoreticalMs: theoretical, runs };
  return { section: "shared-budget", rows, raw, failures, seconds: since(started) / 1000 };
}
