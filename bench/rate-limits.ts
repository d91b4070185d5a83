/**
 * 3. Draining under rate limits: a backlog against the Xero fake enforcing Xero's published limits on
 * a compressed clock (the fake's `timeScale`), with the inbox's xero limits scaled the same way.
 * Time to drain / the theoretical minimum the limits allow, and the 429s provoked (target: none).
 */
import { MemoryStore, createWebhookInbox } from "../src/index.ts";
import { MAX_PAGE_SIZE } from "../src/store-kit/index.ts";
import { startFakeXero } from "../src/testing/index.ts";
import type { BenchConfig } from "./lib/config.ts";
import { seed, xeroAgainst } from "./lib/fakes.ts";
import { fmt, since, sleep, type ResultRow, type SectionResult } from "./lib/report.ts";
import { guid, signedChange, type BenchEntity } from "./lib/workload.ts";
import { silentLogger } from "./lib/silent-logger.ts";

/** Xero's per-tenant minute limit, and its batch size for IDs= reads (the adapter's default). */
const PER_MINUTE = 60;
const IDS_PER_CALL = 50;

/** Entities per tenant, interleaved across tenants and types the way several companies' edits arrive. */
function backlog(config: BenchConfig["rateLimits"]): BenchEntity[] {
  const perTenant: BenchEntity[][] = [];
  for (let t = 0; t < config.tenants; t += 1) {
    const tenantId = guid(0xbee0 + t, 0);
    const list: BenchEntity[] = [];
    const add = (entityType: string, count: number, prefix: number) => {
      for (let i = 0; i < count; i += 1) list.push({ provider: "xero", tenantId, entityType, entityId: guid(prefix * 16 + t, i) });
    };
    add("INVOICE", config.invoices, 1);
    add("CONTACT", config.contacts, 2);
    add("CREDITNOTE", config.creditNotes, 3);
    perTenant.push(shuffle(list, 7 + t));
  }
  const mixed: BenchEntity[] = [];
  for (let i = 0; i < Math.max(...perTenant.map((list) => list.length)); i += 1)
    for (const list of perTenant) {
      const entity = list[i];
      if (entity) mixed.push(entity);
    }
  return mixed;
}

/** Deterministic Fisher–Yates (a small LCG), so every run drains the same backlog. */
function shuffle<T>(items: T[], seedValue: number): T[] {
  let state = seedValue;
  const random = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** Calls one tenant needs at the least: invoices and contacts 50 per call, credit notes one each. */
function tenantMinimumCalls(config: BenchConfig["rateLimits"]): number {
  return Math.ceil(config.invoices / IDS_PER_CALL) + Math.ceil(config.contacts / IDS_PER_CALL) + config.creditNotes;
}

/** With `calls` per tenant and 60 per sliding window, the last window opens this long after the first call. */
function minimumDrainMs(calls: number, windowMs: number): number {
  return (Math.ceil(calls / PER_MINUTE) - 1) * windowMs;
}

/** Runs the rate-limited drain against the Xero fake (section 3). */
export async function runRateLimits(config: BenchConfig): Promise<SectionResult> {
  const started = performance.now();
  const settings = config.rateLimits;
  const scale = settings.timeScale;
  const windowMs = Math.round(60_000 * scale);
  const fake = await startFakeXero({ timeScale: scale });
  const failures: string[] = [];
  try {
    const entities = backlog(settings);
    seed({ xero: fake }, entities);
    const provider = xeroAgainst(fake, {
      tenant: {
        concurrency: 5,
        windows: [
          { name: "minute", limit: PER_MINUTE, intervalMs: windowMs },
          { name: "day", limit: 5_000, intervalMs: Math.round(86_400_000 * scale) },
        ],
      },
      app: { windows: [{ name: "app-minute", limit: 10_000, intervalMs: windowMs }] },
      defaultRetryAfterMs: windowMs,
    });
    const inbox = createWebhookInbox({
      store: new MemoryStore(),
      logger: silentLogger,
      integrations: { xero: { provider, mode: "delayed", delayMs: 0 } },
      handler: async () => {},
    });
    for (const [index, entity] of entities.entries()) {
      const { body, headers } = signedChange(entity, new Date(Date.UTC(2025, 0, 6, 9) + index));
      const result = await inbox.receive({ integration: "xero", rawBody: Buffer.from(body), headers });
      if (result.status >= 300) throw new Error(`receive answered ${result.status}: ${result.body}`);
    }
    let finished = 0;
    let lastAt = 0;
    let rateLimited = 0;
    const t0 = performance.now();
    const finish = () => {
      finished += 1;
      lastAt = performance.now();
    };
    inbox.on("event:processed", finish).on("event:stale", finish).on("event:exhausted", finish);
    inbox.on("event:rate-limited", () => (rateLimited += 1));
    // Count passes (instrumentation only: the scheduler calls runDue() on the instance).
    let passes = 0;
    const runDue = inbox.runDue.bind(inbox);
    inbox.runDue = () => ((passes += 1), runDue());
    // The scheduler as a host runs it: wake-ups at the limiter's "retry at" times, the 1 s poll as fallback.
    await inbox.start();
    const deadline = t0 + 60 * windowMs + 30_000;
    while (finished < entities.length && performance.now() < deadline) await sleep(5);
    await inbox.stop();
    const drainMs = (finished >= entities.length ? lastAt : performance.now()) - t0;
    if (finished < entities.length) failures.push(`rate limits: only ${finished} of ${entities.length} events finished before the deadline`);

    // Claims per event: every pass that claims an event only to defer it (its tenant's window is full) is churn.
    let claims = 0;
    for (let cursor: string | undefined; ; ) {
      const page = await inbox.listEvents({ limit: MAX_PAGE_SIZE, ...(cursor ? { cursor } : {}) });
      for (const event of page.items) claims += event.attemptsStarted;
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    const minimumCalls = tenantMinimumCalls(settings);
    const calls = fake.calls.log.filter((call) => !call.throttled);
    const perTenant = new Map<string, number>();
    for (const call of calls) perTenant.set(call.tenantId, (perTenant.get(call.tenantId) ?? 0) + 1);
    const busiest = Math.max(...perTenant.values());
    const theoreticalMs = minimumDrainMs(minimumCalls, windowMs);
    const forCallsMadeMs = minimumDrainMs(busiest, windowMs);
    const throttled = fake.calls.throttled;
    // When call 1, 61, 121, ... of each tenant went out: call k+60 may go W after call k, so lag shows here.
    const chains: Record<string, number[]> = {};
    const first = calls[0]?.at ?? 0;
    for (const call of calls) (chains[call.tenantId] ??= []).push(call.at - first);
    const windowStarts = Object.fromEntries(
      Object.entries(chains).map(([tenant, times]) => [tenant, times.filter((_, index) => index % PER_MINUTE === 0 || index === times.length - 1)]),
    );
    const raw = {
      passes,
      claimsPerEvent: claims / entities.length,
      windowStarts,
      timeScale: scale,
      windowMs,
      tenants: settings.tenants,
      events: entities.length,
      minimumCallsPerTenant: minimumCalls,
      callsPerTenant: Object.fromEntries(perTenant),
      throttled,
      rateLimitedEvents: rateLimited,
      drainMs,
      theoreticalMs,
      theoreticalForCallsMadeMs: forCallsMadeMs,
    };
    console.log(
      `  rate limits: drained ${entities.length} events in ${fmt(drainMs)} ms (minimum ${fmt(theoreticalMs)} ms for ${minimumCalls} calls/tenant; ` +
        `${busiest} calls made on the busiest tenant, minimum ${fmt(forCallsMadeMs)} ms), ${throttled} × 429, ${passes} passes, ` +
        `${(claims / entities.length).toFixed(2)} claims per event`,
    );
    const rows: ResultRow[] = [
      {
        section: "3 rate limits",
        variant: `Xero fake, minute = ${fmt(windowMs)} ms, ${settings.tenants} tenants × ${minimumCalls} calls min`,
        figure: `drained in ${fmt(drainMs)} ms / minimum ${fmt(theoreticalMs)} ms; ${throttled} × 429`,
        ratio: drainMs / theoreticalMs,
        target: "≤ 1.10, 0 × 429",
        met: drainMs / theoreticalMs <= 1.1 && throttled === 0,
      },
      {
        section: "3 rate limits",
        variant: "same run, against the calls it made",
        figure: `${busiest} calls on the busiest tenant (min ${minimumCalls}), minimum ${fmt(forCallsMadeMs)} ms; ${passes} passes, ${(claims / entities.length).toFixed(2)} claims/event`,
        ratio: drainMs / forCallsMadeMs,
      },
    ];
    return { section: "rate-limits", rows, raw, failures, seconds: since(started) / 1000 };
  } finally {
    await fake.close();
  }
}
