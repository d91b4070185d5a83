import { createWebhookInbox, MemoryStore, type NewDelivery, type NewEvent } from "../src/index.ts";
import { quickbooks } from "../adapters/quickbooks/index.ts";
import { xero } from "../adapters/xero/index.ts";
import { requestFactory, QBO_PATH, type IngestWorkload } from "./lib/ingest-payloads.ts";
import { silentLogger } from "./lib/silent-logger.ts";
import { QBO_VERIFIER_TOKEN, XERO_WEBHOOK_KEY } from "./lib/workload.ts";

class NullStore extends MemoryStore {
  override async insertDelivery(input: { delivery: NewDelivery; events: readonly NewEvent[] }) {
    return { status: "inserted" as const, deliveryId: input.delivery.id };
  }
}
async function run(kind: string, workload: IngestWorkload, count: number) {
  const store = kind === "null" ? new NullStore() : new MemoryStore();
  const inbox = createWebhookInbox({
    store,
    logger: silentLogger,
    integrations: {
      qbo: { provider: quickbooks({ verifierToken: QBO_VERIFIER_TOKEN, getAccessToken: () => "unused" }), mode: "delayed", delayMs: 3_600_000 },
      xero: { provider: xero({ webhookKey: XERO_WEBHOOK_KEY, getAccessToken: () => "unused" }), mode: "delayed", delayMs: 3_600_000 },
    },
    handler: async () => {},
  });
  const next = requestFactory(workload);
  const reqs = Array.from({ length: count }, () => {
    const r = next();
    return {
      integration: r.path === QBO_PATH ? "qbo" : "xero",
      method: "POST",
      headers: { ...r.headers, host: "127.0.0.1", "content-length": String(Buffer.byteLength(r.body)), "user-agent": "autocannon" },
      rawBody: new Uint8Array(Buffer.from(r.body)),
    };
  });
  const warm = count / 5;
  for (let i = 0; i < warm; i += 50) await Promise.all(reqs.slice(i, i + 50).map((r) => inbox.receive(r)));
  const c0 = process.cpuUsage();
  for (let i = warm; i < count; i += 50) await Promise.all(reqs.slice(i, i + 50).map((r) => inbox.receive(r)));
  const c = process.cpuUsage(c0);
  console.log(kind, workload, ((c.user + c.system) / (count - warm)).toFixed(1), "µs/req");
}
const [kind, workload, count] = process.argv.slice(2);
await run(kind!, workload as IngestWorkload, Number(count ?? 50000));
