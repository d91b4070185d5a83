import { MemoryStore, createWebhookInbox } from "../src/index.ts";
import { startFakeXero } from "../src/testing/index.ts";
import { seed, xeroAgainst } from "./lib/fakes.ts";
import { sleep } from "./lib/report.ts";
import { guid, signedChange, type BenchEntity } from "./lib/workload.ts";
import { silentLogger } from "./provider-calls.ts";
const scale = 1/60, W = 1000;
const fake = await startFakeXero({ timeScale: scale });
const entities: BenchEntity[] = [];
for (let t = 0; t < 3; t++) { const tenantId = guid(0xbee0 + t, 0);
  for (let i = 0; i < 500; i++) entities.push({ provider: "xero", tenantId, entityType: "INVOICE", entityId: guid(16 + t, i) });
  for (let i = 0; i < 250; i++) entities.push({ provider: "xero", tenantId, entityType: "CONTACT", entityId: guid(32 + t, i) });
  for (let i = 0; i < 175; i++) entities.push({ provider: "xero", tenantId, entityType: "CREDITNOTE", entityId: guid(48 + t, i) }); }
entities.sort(() => Math.random() - 0.5);
seed({ xero: fake }, entities);
const provider = xeroAgainst(fake, { tenant: { concurrency: 5, windows: [{ name: "minute", limit: 60, intervalMs: W }, { name: "day", limit: 5000, intervalMs: 1440000 }] }, app: { windows: [{ name: "app-minute", limit: 10000, intervalMs: W }] }, defaultRetryAfterMs: W });
const claimBatchSize = Number(process.argv[2] ?? 500);
const inbox = createWebhookInbox({ store: new MemoryStore(), logger: silentLogger, claimBatchSize, integrations: { xero: { provider, mode: "delayed", delayMs: 0 } }, handler: async () => {} });
for (const [i, e] of entities.entries()) { const { body, headers } = signedChange(e, new Date(Date.UTC(2025,0,6,9)+i)); await inbox.receive({ integration: "xero", rawBody: Buffer.from(body), headers }); }
let finished = 0, deferred = 0; const fin = () => finished++;
inbox.on("event:processed", fin).on("event:stale", fin);
const t0 = performance.now();
const orig = inbox.runDue.bind(inbox);
const passes: string[] = [];
inbox.runDue = async () => { const s = performance.now(); const c0 = fake.calls.total; const f0 = finished; const r = await orig(); const e = performance.now();
  passes.push(`${(s-t0).toFixed(0)}+${(e-s).toFixed(0)}ms calls=${fake.calls.total-c0} done=${finished-f0} more=${r.more} next=${r.nextDueAt ? (r.nextDueAt.getTime() - (Date.now())).toFixed(0) : null}`); return r; };
await inbox.start();
while (finished < entities.length) await sleep(5);
console.log(`drain ${(performance.now()-t0).toFixed(0)} ms, calls ${fake.calls.total}, 429 ${fake.calls.throttled}`);
const log = fake.calls.log; const first = log[0]!.at;
const byT = new Map<string, number[]>(); for (const c of log) { if (!byT.has(c.tenantId)) byT.set(c.tenantId, []); byT.get(c.tenantId)!.push(c.at - first); }
for (const [t, ts] of byT) console.log(t.slice(0, 8), ts.length, [0, 59, 60, 119, 120, 179, 180, ts.length - 1].map(i => `#${i + 1}@${ts[i]}`).join(" "));
if (process.argv[3]) console.log(passes.join("\n"));
process.exit(0);
