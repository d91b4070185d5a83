/**
 * Sizes of every measurement, full and quick. The quick sizes keep `npm run bench -- --quick` under
 * a minute on 2 cores (it runs in CI); the full ones keep `npm run bench` under 10 minutes.
 */
export interface BenchConfig {
  readonly quick: boolean;
  readonly ingest: {
    readonly connections: number;
    readonly warmupSeconds: number;
    /** Length of one measured round; the rounds alternate between the variants. */
    readonly seconds: number;
    readonly rounds: number;
    readonly express: boolean;
    /** Only these server variants (the bare Fastify baseline always runs). */
    readonly variants?: readonly string[];
  };
  readonly providerCalls: {
    readonly webhooks: number;
    readonly entities: number;
    readonly diyConcurrency: number;
    /** The large backlog drained by every store at the default options (changes, distinct entities). */
    readonly backlog: { readonly changes: number; readonly entities: number };
  };
  readonly rateLimits: {
    readonly timeScale: number;
    readonly tenants: number;
    readonly invoices: number;
    readonly contacts: number;
    readonly creditNotes: number;
  };
  /** One Xero organisation and one QuickBooks realm (one id per call), drained by 1 and by 4 instances on PostgreSQL. */
  readonly sharedBudget: {
    readonly timeScale: number;
    readonly xeroInvoices: number;
    readonly xeroContacts: number;
    readonly xeroCreditNotes: number;
    readonly qboInvoices: number;
  };
  readonly throughput: { readonly events: number; readonly bullmqConcurrency: number };
  readonly memory: { readonly queued: number; readonly small: number };
  /** Webhooks fired at once, and over how many connections (a provider's catch-up after an outage). */
  readonly burst: { readonly webhooks: number; readonly connections: number };
}

const FULL: BenchConfig = {
  quick: false,
  ingest: { connections: 50, warmupSeconds: 1, seconds: 3, rounds: 4, express: true },
  providerCalls: { webhooks: 10_000, entities: 2_000, diyConcurrency: 20, backlog: { changes: 100_000, entities: 20_000 } },
  // Xero's minute becomes 3 s; 3 tenants each need 10 + 5 + 175 = 190 calls: 4 windows, 9 s at the least.
  // (Compressing more would shrink the windows but not the cost of an HTTP call: see BENCHMARKS.md.)
  rateLimits: { timeScale: 1 / 20, tenants: 3, invoices: 500, contacts: 250, creditNotes: 175 },
  // A minute of 3 s; Xero 10 + 5 + 175 = 190 calls (4 windows, 9 s at the least), QuickBooks 150 (4 windows of 40, 9 s).
  sharedBudget: { timeScale: 1 / 20, xeroInvoices: 500, xeroContacts: 250, xeroCreditNotes: 175, qboInvoices: 150 },
  throughput: { events: 20_000, bullmqConcurrency: 50 },
  memory: { queued: 100_000, small: 10_000 },
  burst: { webhooks: 20_000, connections: 500 },
};

const QUICK: BenchConfig = {
  quick: true,
  ingest: { connections: 50, warmupSeconds: 0.3, seconds: 1, rounds: 1, express: false },
  providerCalls: { webhooks: 1_000, entities: 200, diyConcurrency: 20, backlog: { changes: 3_000, entities: 600 } },
  // A minute of 300 ms; 2 + 1 + 60 = 63 calls per tenant: 2 windows.
  rateLimits: { timeScale: 1 / 200, tenants: 2, invoices: 100, contacts: 50, creditNotes: 60 },
  // A minute of 600 ms; Xero 2 + 1 + 70 = 73 calls and QuickBooks 60: 2 windows each, 600 ms at the least.
  sharedBudget: { timeScale: 1 / 100, xeroInvoices: 100, xeroContacts: 50, xeroCreditNotes: 70, qboInvoices: 60 },
  throughput: { events: 2_000, bullmqConcurrency: 50 },
  memory: { queued: 5_000, small: 1_000 },
  burst: { webhooks: 2_000, connections: 300 },
};

/** Reads `--quick`, `--only=section,...` and `--ingest=variant,...` (for profiling one server) from the command line. */
export function parseArgs(argv: readonly string[]): { config: BenchConfig; only: Set<string> | null } {
  const quick = argv.includes("--quick");
  const list = (name: string) => {
    const arg = argv.find((candidate) => candidate.startsWith(`--${name}=`));
    return arg
      ? arg
          .slice(name.length + 3)
          .split(",")
          .filter(Boolean)
      : null;
  };
  const only = list("only");
  const ingestVariants = list("ingest");
  const base = quick ? QUICK : FULL;
  return { config: ingestVariants ? { ...base, ingest: { ...base.ingest, variants: ingestVariants } } : base, only: only ? new Set(only) : null };
}

/** PostgreSQL the bench uses (the same database for webhook-inbox and pg-boss). */
export const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
/** Redis for BullMQ. */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
