/**
 * Sizes of every measurement, full and quick. The quick sizes keep `npm run bench -- --quick` under
 * a minute on 2 cores (it runs in CI); the full ones keep `npm run bench` under 10 minutes.
 */
export interface BenchConfig {
  readonly quick: boolean;
  readonly ingest: { readonly connections: number; readonly warmupSeconds: number; readonly seconds: number; readonly express: boolean };
  readonly providerCalls: { readonly webhooks: number; readonly entities: number; readonly diyConcurrency: number };
  readonly rateLimits: { readonly timeScale: number; readonly tenants: number; readonly invoices: number; readonly contacts: number; readonly creditNotes: number };
  readonly throughput: { readonly events: number; readonly bullmqConcurrency: number };
  readonly memory: { readonly queued: number; readonly small: number };
}

const FULL: BenchConfig = {
  quick: false,
  ingest: { connections: 50, warmupSeconds: 1, seconds: 10, express: true },
  providerCalls: { webhooks: 10_000, entities: 2_000, diyConcurrency: 20 },
  // Xero's minute becomes 1 s; 3 tenants each need 10 + 5 + 175 = 190 calls: 4 windows, 3 s at the least.
  rateLimits: { timeScale: 1 / 60, tenants: 3, invoices: 500, contacts: 250, creditNotes: 175 },
  throughput: { events: 20_000, bullmqConcurrency: 50 },
  memory: { queued: 100_000, small: 10_000 },
};

const QUICK: BenchConfig = {
  quick: true,
  ingest: { connections: 50, warmupSeconds: 0.3, seconds: 1.5, express: false },
  providerCalls: { webhooks: 1_000, entities: 200, diyConcurrency: 20 },
  // A minute of 300 ms; 2 + 1 + 60 = 63 calls per tenant: 2 windows.
  rateLimits: { timeScale: 1 / 200, tenants: 2, invoices: 100, contacts: 50, creditNotes: 60 },
  throughput: { events: 2_000, bullmqConcurrency: 50 },
  memory: { queued: 10_000, small: 2_000 },
};

/** Reads `--quick` (and `--only=a,b`) from the command line. */
export function parseArgs(argv: readonly string[]): { config: BenchConfig; only: Set<string> | null } {
  const quick = argv.includes("--quick");
  const onlyArg = argv.find((arg) => arg.startsWith("--only="));
  const only = onlyArg ? new Set(onlyArg.slice("--only=".length).split(",").filter(Boolean)) : null;
  return { config: quick ? QUICK : FULL, only };
}

/** PostgreSQL the bench uses (the same database for webhook-inbox and pg-boss). */
export const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
/** Redis for BullMQ. */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
