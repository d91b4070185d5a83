/**
 * `npm run demo`: the whole product in one command, on the embedded SQLite default.
 *
 * Starts fake QuickBooks and Xero APIs, a Fastify app that mounts webhook-inbox (QuickBooks in
 * `immediate` mode, Xero in `delayed` mode) and its dashboard, sends a realistic burst of signed
 * webhooks over real HTTP, shows progress, prints a summary, checks it against what the scenario
 * must produce (exit code 1 if not), then keeps the dashboard up until Ctrl-C. The inbox's
 * OpenTelemetry metrics are served for Prometheus at /metrics (examples/prometheus/telemetry.ts).
 *
 * Flags: --fresh (delete the demo database first), --exit (finish after the summary, no dashboard),
 * --port N (default 3000; 0 = any free port, the one chosen is printed), --scheduler timer|bullmq|pg-boss
 * (default timer; bullmq uses Redis at REDIS_URL or 127.0.0.1:6379, pg-boss the PostgreSQL at DATABASE_URL).
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import Fastify from "fastify";
import pLimit from "p-limit";
import { type EventCount, type InboxEvent, createWebhookInbox } from "webhook-inbox";
import { fastifyWebhookInbox, fastifyWebhookInboxAdmin } from "webhook-inbox/fastify";
import { quickbooks } from "webhook-inbox/quickbooks";
import { SqliteStore } from "webhook-inbox/sqlite";
import { startFakeQuickBooks, startFakeXero } from "webhook-inbox/testing";
import { xero } from "webhook-inbox/xero";
import { prometheusTelemetry } from "../prometheus/telemetry.ts";
import { Progress, bar } from "./progress.ts";
import { OUT_OF_ORDER, QBO_VERIFIER_TOKEN, XERO_WEBHOOK_KEY, buildScenario } from "./scenario.ts";
import { listenOrExplain, portOption } from "./port.ts";
import { schedulerOption } from "./scheduler.ts";
import { checkOutcome, printSummary } from "./summary.ts";

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const port = portOption(args);
const dataDir = join(process.cwd(), ".demo-data");
if (flag("fresh")) rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });

const demoScheduler = await schedulerOption(args);
const progress = new Progress();
console.log(`webhook-inbox demo: fake QuickBooks + Xero APIs, a Fastify app, SQLite at .demo-data/inbox.sqlite, passes run by ${demoScheduler.label}\n`);

// 1. The providers' APIs (fakes with the real endpoints, batch limits and 429s).
const fakeQuickBooks = await startFakeQuickBooks();
const fakeXero = await startFakeXero();

// 2. The host's app: its own "database" and its handler.
const appDatabase = new Map<string, unknown>();
const handlerCalls = new Map<string, number>();
const handler = async (event: InboxEvent) => {
  const key = `${event.integration}/${event.tenantId}/${event.entityType}/${event.entityId}`;
  handlerCalls.set(key, (handlerCalls.get(key) ?? 0) + 1);
  // The host's own validation, on the downloaded data: the scenario's one negative invoice (POISON) fails it every time.
  const total = (event.resource as { TotalAmt?: unknown } | null)?.TotalAmt;
  if (event.entityType === "Invoice" && typeof total === "number" && total < 0) {
    throw new Error(`Invoice ${event.entityId} failed validation in the host app: TotalAmt ${total} must not be negative`);
  }
  appDatabase.set(key, event.resource);
};

const telemetry = prometheusTelemetry();
const store = new SqliteStore({ filename: join(dataDir, "inbox.sqlite") });
const inbox = createWebhookInbox({
  store,
  integrations: {
    quickbooks: {
      provider: quickbooks({ verifierToken: QBO_VERIFIER_TOKEN, getAccessToken: async () => "demo-access-token", baseUrl: fakeQuickBooks.url }),
      mode: "immediate",
    },
    xero: {
      provider: xero({ webhookKey: XERO_WEBHOOK_KEY, getAccessToken: async () => "demo-access-token", baseUrl: fakeXero.url }),
      mode: "delayed",
      delayMs: 500,
    },
  },
  handler,
  // Short backoff so the demo's failures play out in seconds (production default: 10 s, 40 s, ...).
  retryDelay: { baseMs: 300, factor: 2, maxMs: 5_000, jitter: 0.2 },
  pollIntervalMs: 250,
  // --scheduler bullmq|pg-boss: passes run as jobs on the host's queue; without it, the built-in timer.
  ...(demoScheduler.scheduler ? { scheduler: demoScheduler.scheduler } : {}),
  // The burst's planned download faults would each print a warning over the progress line; the
  // summary and the dashboard show them. Only what is left failed (exhausted) is printed as it happens.
  logLevel: "error",
  instrumentation: telemetry.instrumentation,
});
const rateLimited = { attempts: 0 };
inbox.on("event:rate-limited", () => void (rateLimited.attempts += 1));

const app = Fastify();
await app.register(fastifyWebhookInbox, { inbox }); // POST /webhooks/:integration
// Demo only: everyone may use the dashboard. In your app, check your own session or roles here.
await app.register(fastifyWebhookInboxAdmin, { inbox, prefix: "/admin", authorize: () => true });
// Prometheus scrapes the inbox's metrics here (deliveries, attempts, 429s, queue depth, oldest due age, ...).
app.get("/metrics", (request, reply) => {
  reply.hijack();
  telemetry.metrics(request.raw, reply.raw);
});
await inbox.start();
const listening = await listenOrExplain(app, port, async () => {
  await inbox.stop();
  await demoScheduler.close();
  await store.close();
  await fakeQuickBooks.close();
  await fakeXero.close();
});
const base = `http://127.0.0.1:${listening}`;
console.log(`listening on ${base} (webhooks: POST ${base}/webhooks/quickbooks, ${base}/webhooks/xero)\n`);

// 3. The burst, sent over real HTTP as the providers would. Figures count this run only (the file may hold earlier runs).
const since = new Date();
const scenario = buildScenario(fakeQuickBooks, fakeXero);
// Push one Xero tenant into 429s: the first two calls are throttled ("minute", Retry-After 1 s).
fakeXero.throttleNext({ count: 2, problem: "minute", retryAfterSeconds: 1 });

const statuses = new Map<number, number>();
const send = async (integration: string, webhook: { body: string; headers: Record<string, string> }) => {
  const response = await fetch(`${base}/webhooks/${integration}`, { method: "POST", headers: webhook.headers, body: webhook.body });
  await response.arrayBuffer();
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
};
const limit = pLimit(16);
let sent = 0;
const total = scenario.burst.length + 1;
await Promise.all(
  scenario.burst.map((item) =>
    limit(async () => {
      await send(item.integration, item.webhook);
      sent += 1;
      progress.update(`sending   ${bar(sent, total)} ${sent}/${total} webhooks`);
    }),
  ),
);

// 4. Wait for processing; then the late, older half of the out-of-order pair.
const settled = async (label: string) => {
  for (;;) {
    const counts = await inbox.countEvents({ receivedFrom: since });
    const by = (status: string) => counts.filter((row) => row.status === status).reduce((sum, row) => sum + row.count, 0);
    const open = by("queued") + by("processing") + by("retrying");
    const all = counts.reduce((sum, row) => sum + row.count, 0);
    progress.update(
      `${label} ${bar(all - open, all)} ${all - open}/${all} events final · succeeded ${by("succeeded")} · stale ${by("stale")} · retrying ${by("retrying")} · failed ${by("failed")} · 429s ${fakeQuickBooks.calls.throttled + fakeXero.calls.throttled}`,
    );
    if (open === 0) return counts;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};
await settled("processing");
await send(scenario.late.integration, scenario.late.webhook);
sent += 1;
const counts: EventCount[] = await settled("processing");
progress.done(`done: ${sent} webhooks sent, all events final`);

// 5. Summary and checks.
const deliveries = await inbox.listDeliveries({ status: "duplicate", receivedFrom: since, limit: 500 });
const outOfOrder = await inbox.listEvents({ entityId: OUT_OF_ORDER.entityId, tenantId: OUT_OF_ORDER.realmId, integration: "quickbooks", receivedFrom: since });
const facts = {
  sent,
  statuses,
  duplicatesSent: scenario.burst.filter((item) => item.duplicate).length,
  duplicatesLogged: deliveries.items.length,
  counts,
  entities: scenario.entities,
  handlerCalls: [...handlerCalls.values()].reduce((sum, n) => sum + n, 0),
  providerCalls: { quickbooks: fakeQuickBooks.calls.total, xero: fakeXero.calls.total },
  throttled: fakeQuickBooks.calls.throttled + fakeXero.calls.throttled,
  rateLimitedAttempts: rateLimited.attempts,
  outOfOrderStatuses: outOfOrder.items.map((event) => event.status).sort(),
  failed: (await inbox.listEvents({ status: "failed", receivedFrom: since })).items,
};
printSummary(facts, flag("exit") ? null : `${base}/admin/`);
const problems = checkOutcome(facts);
const scraped = await (await fetch(`${base}/metrics`)).text();
const countedDeliveries = [...scraped.matchAll(/^webhook_inbox_deliveries_total\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
console.log(`Prometheus metrics at ${base}/metrics: ${countedDeliveries} deliveries counted by webhook_inbox_deliveries_total`);
if (countedDeliveries === 0) problems.push("the /metrics scrape counted no deliveries (webhook_inbox_deliveries_total)");
if (problems.length > 0) {
  console.error(`\nThe demo saw something the scenario must not produce:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}

const shutdown = async (code: number) => {
  await app.close();
  await inbox.stop();
  await demoScheduler.close();
  await store.close();
  await telemetry.shutdown();
  await fakeQuickBooks.close();
  await fakeXero.close();
  process.exit(code);
};
if (flag("exit") || problems.length > 0) {
  await shutdown(problems.length > 0 ? 1 : 0);
} else {
  console.log(`\nThe dashboard keeps serving at ${base}/admin/ — press Ctrl-C to stop.`);
  process.once("SIGINT", () => void shutdown(0));
  process.once("SIGTERM", () => void shutdown(0));
}
