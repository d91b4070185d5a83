/**
 * PostgresRateBudget: the shared rate budget (`store.rateBudget`) in the database, so every instance
 * on one PostgreSQL spends one provider budget. Each method is one statement, one round trip; the
 * SQL functions are in rate-budget-schema.ts.
 */
import type {
  BudgetLimits,
  BudgetPauseReason,
  BudgetState,
  EndCallsInput,
  PauseBudgetInput,
  RateBudget,
  ReserveCallsInput,
  ReserveCallsResult,
} from "../../src/index.ts";
import type { PgPoolLike } from "./pg-like.ts";
import { jsonbText, type Row } from "./rows.ts";

/** How soon to look again when the calls that fill a window (or the tenant's concurrency) are still in flight. */
export const IN_FLIGHT_RECHECK_MS = 25;

/** The windows as the SQL functions read them. */
function windowsJson(windows: BudgetLimits["tenantWindows"]): string {
  return jsonbText(windows.map((window) => ({ name: window.name, limit: window.limit, intervalMs: window.intervalMs })));
}

function toState(json: Row): BudgetState {
  const reason = json.pauseReason as (Omit<BudgetPauseReason, "at"> & { at: number }) | null;
  return {
    provider: json.provider as string,
    tenantId: (json.tenantId as string | null) ?? null,
    pausedUntil: json.pausedUntil === null || json.pausedUntil === undefined ? null : new Date(Number(json.pausedUntil)),
    pauseReason: reason ? { status: reason.status, limit: reason.limit, message: reason.message, at: new Date(reason.at) } : null,
    windows: (json.windows as Row[]).map((window) => ({
      name: window.name as string,
      limit: window.limit as number,
      intervalMs: Number(window.intervalMs),
      used: Number(window.used),
    })),
    inFlight: Number(json.inFlight),
  };
}

export class PostgresRateBudget implements RateBudget {
  readonly #pool: PgPoolLike;
  readonly #s: string;
  readonly #run: <T>(method: string, fn: () => Promise<T>) => Promise<T>;

  /** `run` wraps driver failures as the store's StoreError. */
  constructor(pool: PgPoolLike, quotedSchema: string, run: <T>(method: string, fn: () => Promise<T>) => Promise<T>) {
    this.#pool = pool;
    this.#s = quotedSchema;
    this.#run = run;
  }

  reserveCalls(input: ReserveCallsInput): Promise<ReserveCallsResult> {
    return this.#run("rateBudget.reserveCalls", async () => {
      const { limits } = input;
      const { rows } = await this.#pool.query(`select ${this.#s}.reserve_calls($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9) as r`, [
        limits.provider,
        input.tenantId,
        input.now.getTime(),
        Math.max(1, Math.floor(input.count)),
        Math.max(0, Math.ceil(input.holdMs)),
        limits.concurrency,
        windowsJson(limits.tenantWindows),
        windowsJson(limits.appWindows),
        IN_FLIGHT_RECHECK_MS,
      ]);
      const answer = (rows[0] as Row).r as Row;
      const budgets = (answer.budgets as Row[]).map(toState);
      if (answer.granted) return { granted: true, token: answer.token as string, budgets };
      return { granted: false, retryAt: new Date(Number(answer.retryAt)), budgets };
    });
  }

  endCalls(input: EndCallsInput): Promise<void> {
    return this.#run("rateBudget.endCalls", async () => {
      const { limits } = input;
      await this.#pool.query(`select ${this.#s}.end_calls($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb)`, [
        limits.provider,
        input.tenantId,
        input.token,
        Math.max(1, Math.floor(input.count)),
        input.now.getTime(),
        windowsJson(limits.tenantWindows),
        windowsJson(limits.appWindows),
        jsonbText(input.observations ?? []),
      ]);
    });
  }

  pause(input: PauseBudgetInput): Promise<void> {
    return this.#run("rateBudget.pause", async () => {
      const reason = { status: input.reason.status, limit: input.reason.limit, message: input.reason.message, at: input.reason.at.getTime() };
      // A later pause never shortens an earlier one; the reason is the one of the pause that ends last.
      await this.#pool.query(
        `insert into ${this.#s}.rate_budgets as b (provider, tenant_id, paused_until, pause_reason, touched_at)
         values ($1, $2, $3, $4::jsonb, $5)
         on conflict (provider, tenant_id) do update set
           paused_until = greatest(b.paused_until, excluded.paused_until),
           pause_reason = case when excluded.paused_until >= b.paused_until then excluded.pause_reason else b.pause_reason end,
           touched_at = greatest(b.touched_at, excluded.touched_at)`,
        [input.provider, input.tenantId ?? "", input.until.getTime(), jsonbText(reason), input.reason.at.getTime()],
      );
    });
  }

  budgets(input: { readonly now: Date; readonly limits: readonly BudgetLimits[] }): Promise<BudgetState[]> {
    return this.#run("rateBudget.budgets", async () => {
      if (input.limits.length === 0) return [];
      const limits = input.limits.map((entry) => ({
        provider: entry.provider,
        tenant: entry.tenantWindows.map((window) => ({ name: window.name, limit: window.limit, intervalMs: window.intervalMs })),
        app: entry.appWindows.map((window) => ({ name: window.name, limit: window.limit, intervalMs: window.intervalMs })),
      }));
      const { rows } = await this.#pool.query(
        `select ${this.#s}.rate_budget_state(b.provider, b.tenant_id, case when b.tenant_id = '' then l.app else l.tenant end, $2) as state
         from ${this.#s}.rate_budgets b
         join jsonb_to_recordset($1::jsonb) as l(provider text, tenant jsonb, app jsonb) on l.provider = b.provider
         where b.paused_until > $2
            or exists (select 1 from ${this.#s}.rate_calls c where c.provider = b.provider and c.tenant_id = b.tenant_id and c.expires_at > $2)
         order by b.provider, b.tenant_id`,
        [jsonbText(limits), input.now.getTime()],
      );
      return (rows as Row[]).map((row) => toState(row.state as Row));
    });
  }
}
