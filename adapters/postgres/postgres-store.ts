/** PostgresStore: the WebhookStore on PostgreSQL (the methods; SQL in queries.ts, inserts in insert-group.ts). */
import {
  attemptsRemaining,
  StoreError,
  WebhookConfigError,
  isWebhookInboxError,
  type ClaimDueInput,
  type ClaimResult,
  type DeliveryFilter,
  type DeliveryRecord,
  type DeliverySummary,
  type EntityKey,
  type EventCount,
  type EventDetails,
  type EventFilter,
  type EventRecord,
  type EventStatus,
  type FinishAttemptInput,
  type InsertDeliveryResult,
  type NewDelivery,
  type NewEvent,
  type NextDueAtInput,
  type Page,
  type PageRequest,
  type RequeueInput,
  type StoreCapabilities,
  type UpdateDeliveryInput,
  type Watermark,
  type WebhookStore,
} from "../../src/index.ts";
import { GroupCommitter, entityKeyString, pageSize, poisonMessage } from "../../src/store-kit/index.ts";
import { claimDueIn, claimGroupsIn, POISON_COUNT_PLACEHOLDER } from "./claim-due.ts";
import { splitByEvent } from "./finish-rounds.ts";
import { insertGroup, type InsertInput } from "./insert-group.ts";
import { isPgPool, statementRunner } from "./named-query.ts";
import { MIGRATIONS } from "./migrations.ts";
import { NotificationListener } from "./notification-listener.ts";
import { PgSharedState } from "./shared-state.ts";
import { createOwnedPool } from "./owned-pool.ts";
import { withDeadline } from "./deadline.ts";
import { parsePostgresStoreOptions, type PostgresStoreOptions } from "./options.ts";
import { isPgQueryable, type OwnedPgPool, type PgClientLike, type PgPoolLike, type PgQueryable } from "./pg-like.ts";
import { buildQueries, type Queries } from "./queries.ts";
import { PostgresReconciliation } from "./reconciliation.ts";
import { PostgresRateBudget } from "./rate-budget.ts";
import {
  eventToJson,
  finishToJson,
  jsonToAttempt,
  rowToDelivery,
  rowToDeliverySummary,
  rowToEvent,
  rowToWatermark,
  jsonbText,
  toDate,
  toPage,
  type Row,
} from "./rows.ts";
import { inTransaction } from "./transaction.ts";
import { SqlParams, deliveryWhere, eventWhere, pageWhere } from "./where.ts";

/** Name in `StoreError.store` and in messages ("[postgres] claimDue failed"). */
const STORE_NAME = "postgres";

/**
 * A `WebhookStore` on PostgreSQL, for many app instances on many machines sharing one database.
 *
 * - Tables live in their own schema (default `webhook_inbox`), created and upgraded by `migrate()`
 *   under an advisory lock, so instances starting together are safe.
 * - Workers claim due events with a `FOR UPDATE SKIP LOCKED` statement and a lease, after taking a
 *   per-entity advisory lock held to the claim's commit, so one entity has one holder at a time; an
 *   event whose worker died is claimed again when its lease expires. Finishes are guarded by the lease token.
 *   Leases are timed on the database's clock, so workers' clocks need not agree for one event to have one holder.
 * - Concurrent `insertDelivery` calls are group-committed (one transaction, multi-row inserts); a
 *   NOTIFY on commit wakes idle workers in other processes (`subscribe`), polling is the fallback.
 * - `transaction(fn)` hands a handler the open transaction, so the host's writes, the watermark and
 *   the event's completion commit together (exactly-once effect for hosts in the same database).
 *
 * `pg` is an optional peer: pass your own pool (never ended by the store), or a `connectionString`
 * and the store loads `pg`, creates a pool and ends it on `close()`.
 *
 * @example
 * ```ts
 * const store = new PostgresStore({ connectionString: process.env.DATABASE_URL! });
 * await store.migrate();
 * const inbox = createWebhookInbox({ store, integrations: { … } });
 * ```
 */
export class PostgresStore implements WebhookStore {
  readonly name = STORE_NAME;
  readonly capabilities: StoreCapabilities = { multiProcess: true, durable: true, transactionalHandler: true };
  /** The schema holding the tables. */
  readonly schema: string;
  /** The NOTIFY/LISTEN channel of this schema. */
  readonly channel: string;
  /** Reconciliation watermarks, leases and runs, shared by every instance on the database. */
  readonly reconciliation: PostgresReconciliation;
  /** The provider budget every instance on this database shares (rate-budget.ts). */
  readonly rateBudget: PostgresRateBudget;
  /** Settings and token leases in this schema; every write NOTIFYs `${schema}:shared` (see `SharedStateStore`). */
  readonly sharedState: PgSharedState;

  readonly #pool: PgPoolLike;
  readonly #ownedPool: OwnedPgPool | null;
  readonly #sql: Queries;
  readonly #quotedSchema: string;
  readonly #group: GroupCommitter<InsertInput, InsertDeliveryResult>;
  readonly #listeners = new Set<NotificationListener>();
  readonly #poisonTemplate: string;
  readonly #receiveTimeoutMs: number;
  #closed = false;

  constructor(options: PostgresStoreOptions) {
    const resolved = parsePostgresStoreOptions(options);
    if ("pool" in resolved) {
      this.#pool = resolved.pool;
      this.#ownedPool = null;
    } else {
      this.#ownedPool = createOwnedPool(resolved);
      this.#pool = this.#ownedPool;
    }
    this.schema = resolved.schema;
    this.#receiveTimeoutMs = resolved.receiveTimeoutMs;
    this.channel = `${resolved.schema}:work`;
    this.#quotedSchema = `"${resolved.schema}"`;
    this.#sql = buildQueries(this.#quotedSchema, resolved.notify ? this.channel : null);
    // Named statements on pg's pool (the store's own, or a host's pg.Pool); plain text on any other pool shape.
    const inserts = statementRunner(this.#pool, resolved.preparedStatements && (this.#ownedPool !== null || isPgPool(this.#pool)));
    this.#group = new GroupCommitter((inputs) => insertGroup(inserts, this.#sql, inputs), {
      maxBatch: resolved.groupCommit.maxBatch,
      maxWaitMs: resolved.groupCommit.maxWaitMs,
      maxInFlight: resolved.groupCommit.maxInFlight,
    });
    this.reconciliation = new PostgresReconciliation(this.#pool, this.#quotedSchema, (method, fn) => this.#run(method, fn));
    this.rateBudget = new PostgresRateBudget(this.#pool, this.#quotedSchema, (method, fn) => this.#run(method, fn));
    this.sharedState = new PgSharedState({
      pool: this.#pool,
      quotedSchema: this.#quotedSchema,
      channel: resolved.notify ? `${resolved.schema}:shared` : null,
      run: (method, call) => {
        this.#assertOpen(method);
        return this.#run(method, call);
      },
      track: (listener) => {
        this.#listeners.add(listener);
        return () => this.#listeners.delete(listener);
      },
    });
    this.#poisonTemplate = poisonMessage({ attemptsStarted: POISON_COUNT_PLACEHOLDER, attemptsFinished: 0 });
  }

  async migrate(): Promise<void> {
    await this.#run("migrate", () =>
      this.#transaction(async (client) => {
        // Serialises concurrent migrators (several instances starting at once); released at COMMIT.
        await client.query(this.#sql.advisoryLock, [`webhook-inbox:migrate:${this.schema}`]);
        await client.query(this.#sql.createSchema);
        await client.query(this.#sql.createMigrations);
        const { rows } = await client.query(this.#sql.appliedVersion);
        const applied = ((rows[0] as Row | undefined)?.version as number | undefined) ?? 0;
        const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
        if (applied > latest) {
          // An older library against a newer schema would misread it: refuse rather than guess.
          throw new StoreError(
            STORE_NAME,
            `migrate failed: schema "${this.schema}" is at version ${applied}, newer than this library's ${latest}; upgrade webhook-inbox`,
          );
        }
        for (const migration of MIGRATIONS) {
          if (migration.version <= applied) continue;
          await client.query(migration.sql(this.#quotedSchema));
          await client.query(this.#sql.recordMigration, [migration.version, migration.name]);
        }
      }),
    );
  }

  async insertDelivery(input: { delivery: NewDelivery; events: readonly NewEvent[] }): Promise<InsertDeliveryResult> {
    this.#assertOpen("insertDelivery");
    const stored = this.#group.submit({ delivery: input.delivery, events: input.events });
    return this.#run("insertDelivery", () => withDeadline(stored, this.#receiveTimeoutMs, "insertDelivery", "receiveTimeoutMs"));
  }

  async updateDelivery(input: UpdateDeliveryInput): Promise<boolean> {
    return this.#run("updateDelivery", async () => {
      const params = new SqlParams([input.id]);
      const events = input.events ?? [];
      params.add(jsonbText(events.map((event) => eventToJson(input.id, event))));
      const sets: string[] = [];
      if (input.status !== undefined) sets.push(`status = ${params.add(input.status)}`);
      if (input.reason !== undefined) sets.push(`reason = ${params.add(input.reason)}`);
      if (input.response !== undefined) sets.push(`response = ${params.add(jsonbText(input.response))}::jsonb`);
      if (input.tenantIds !== undefined) sets.push(`tenant_ids = ${params.add([...input.tenantIds])}::text[]`);
      if (input.releaseDedupeKey) sets.push("dedupe_key = null");
      sets.push(`event_count = event_count + ${params.add(events.length)}::int`);
      // ifStatus: under READ COMMITTED a concurrent updater waits for the row lock, then re-checks the
      // status on the row as committed, so only one of two racing callers matches.
      const guard = input.ifStatus === undefined ? "" : ` and status = ${params.add(input.ifStatus)}`;
      const { rows } = await this.#pool.query(this.#sql.updateDelivery(sets.join(", "), guard), params.values);
      return (((rows[0] as Row | undefined)?.updated as number | undefined) ?? 0) > 0;
    });
  }

  async getDelivery(id: string): Promise<DeliveryRecord | null> {
    return this.#run("getDelivery", async () => {
      const { rows } = await this.#pool.query(this.#sql.getDelivery, [id]);
      const row = rows[0] as Row | undefined;
      return row ? rowToDelivery(row) : null;
    });
  }

  async listDeliveries(input: DeliveryFilter & PageRequest): Promise<Page<DeliverySummary>> {
    return this.#run("listDeliveries", async () => {
      const limit = pageSize(input.limit);
      const params = new SqlParams();
      const where = deliveryWhere(input, params) + pageWhere(input.cursor, params);
      const { rows } = await this.#pool.query(this.#sql.listDeliveries(where, params.add(limit + 1)), params.values);
      return toPage((rows as Row[]).map(rowToDeliverySummary), limit);
    });
  }

  async claimDue(input: ClaimDueInput): Promise<ClaimResult> {
    return this.#run("claimDue", () => {
      if (input.limit < 1 || (input.ids && input.ids.length === 0)) return Promise.resolve({ events: [], poisoned: [] });
      // One transaction: the entity locks taken by its first statement are held until the claim commits.
      const { groups } = input;
      if (groups && !input.ids) return this.#transaction((client) => claimGroupsIn(client, this.#sql, { ...input, groups }, this.#poisonTemplate));
      return this.#transaction((client) => claimDueIn(client, this.#sql, input, this.#poisonTemplate));
    });
  }

  async startAttempts({ leases }: { now: Date; leases: readonly { eventId: string; leaseToken: string }[] }): Promise<boolean[]> {
    return this.#run("startAttempts", async () => {
      if (leases.length === 0) return [];
      const rows = leases.map(({ eventId, leaseToken }) => ({ event_id: eventId, lease_token: leaseToken }));
      const { rows: started } = await this.#pool.query(this.#sql.startAttempts, [jsonbText(rows)]);
      const ids = new Set((started as Row[]).map((row) => row.id as string));
      return leases.map(({ eventId }) => ids.has(eventId));
    });
  }

  async finishAttempts(inputs: readonly FinishAttemptInput[], transaction?: unknown): Promise<boolean[]> {
    return this.#run("finishAttempts", async () => {
      if (inputs.length === 0) return [];
      if (transaction !== undefined && !isPgQueryable(transaction)) {
        throw new WebhookConfigError("finishAttempts: transaction must be the client PostgresStore.transaction() passed in");
      }
      const rounds = splitByEvent(inputs);
      const results = new Array<boolean>(inputs.length).fill(false);
      const apply = async (db: PgQueryable) => {
        for (const round of rounds) {
          const rows = round.map(({ input }) => finishToJson(input));
          const { rows: done } = await db.query(this.#sql.finishAttempts, [jsonbText(rows)]);
          const applied = new Set((done as Row[]).map((row) => row.id as string));
          for (const { input, index } of round) results[index] = applied.has(input.eventId);
        }
      };
      if (transaction !== undefined) await apply(transaction);
      // One statement is already one transaction; the rare batch finishing one event twice needs a real one.
      else if (rounds.length === 1) await apply(this.#pool);
      else await this.#transaction(apply);
      return results;
    });
  }

  async requeue(input: RequeueInput): Promise<string[]> {
    return this.#run("requeue", async () => {
      if (input.ids && input.ids.length === 0) return [];
      const params = new SqlParams([input.now]);
      let where = "";
      if (input.ids) where += ` and id = any(${params.add([...input.ids])}::text[])`;
      if (input.filter) where += eventWhere(input.filter, params, this.#quotedSchema);
      const { rows } = await this.#pool.query(this.#sql.requeue(where), params.values);
      const requeued = ((rows[0] as Row | undefined)?.ids as string[] | undefined) ?? [];
      if (!input.ids) return requeued;
      // Keep the caller's order, as MemoryStore does.
      const done = new Set(requeued);
      return input.ids.filter((id) => done.delete(id));
    });
  }

  async nextDownloadSequence(): Promise<number> {
    return this.#run("nextDownloadSequence", async () => {
      const { rows } = await this.#pool.query(this.#sql.nextDownloadSequence);
      return Number((rows[0] as Row).value);
    });
  }

  async getWatermarks(keys: readonly EntityKey[]): Promise<Watermark[]> {
    return this.#run("getWatermarks", async () => {
      if (keys.length === 0) return [];
      const json = keys.map((key) => ({
        integration: key.integration,
        tenant_id: key.tenantId,
        entity_type: key.entityType,
        entity_id: key.entityId,
      }));
      const { rows } = await this.#pool.query(this.#sql.getWatermarks, [jsonbText(json)]);
      const byKey = new Map((rows as Row[]).map(rowToWatermark).map((mark) => [entityKeyString(mark), mark]));
      return keys.map((key) => byKey.get(entityKeyString(key))).filter((mark) => mark !== undefined);
    });
  }

  async getEvent(id: string): Promise<EventDetails | null> {
    return this.#run("getEvent", async () => {
      const { rows } = await this.#pool.query(this.#sql.getEvent, [id]);
      const row = rows[0] as Row | undefined;
      if (!row) return null;
      const event = rowToEvent(row);
      return {
        ...event,
        attemptsRemaining: attemptsRemaining(event),
        attempts: (row.attempt_list as Row[]).map((attempt) => jsonToAttempt(event.id, attempt)),
        resourceData: row.has_resource ? { data: row.resource_data ?? null, downloadedAt: toDate(row.resource_downloaded_at) } : null,
      };
    });
  }

  async listEvents(input: EventFilter & PageRequest): Promise<Page<EventRecord>> {
    return this.#run("listEvents", async () => {
      const limit = pageSize(input.limit);
      const params = new SqlParams();
      const where = eventWhere(input, params, this.#quotedSchema) + pageWhere(input.cursor, params);
      const { rows } = await this.#pool.query(this.#sql.listEvents(where, params.add(limit + 1)), params.values);
      return toPage((rows as Row[]).map(rowToEvent), limit);
    });
  }

  async countEvents(filter: EventFilter): Promise<EventCount[]> {
    return this.#run("countEvents", async () => {
      const params = new SqlParams();
      const { rows } = await this.#pool.query(this.#sql.countEvents(eventWhere(filter, params, this.#quotedSchema)), params.values);
      return (rows as Row[]).map((row) => ({
        integration: row.integration as string,
        status: row.status as EventStatus,
        count: row.count as number,
      }));
    });
  }

  async nextDueAt(input?: NextDueAtInput): Promise<Date | null> {
    return this.#run("nextDueAt", async () => {
      const { rows } = await this.#pool.query(this.#sql.nextDueAt, [input?.now ?? null]);
      const due = (rows[0] as Row | undefined)?.due;
      return due === null || due === undefined ? null : toDate(due);
    });
  }

  async prune(input: { olderThan: Date }): Promise<number> {
    return this.#run("prune", () =>
      this.#transaction(async (client) => {
        const { rows } = await client.query(this.#sql.pruneEvents, [input.olderThan]);
        await client.query(this.#sql.pruneDeliveries, [input.olderThan]);
        return rows.length;
      }),
    );
  }

  async subscribe(onWork: () => void): Promise<() => Promise<void>> {
    this.#assertOpen("subscribe");
    const listener = new NotificationListener(this.#pool, this.channel, onWork);
    await this.#run("subscribe", () => listener.start());
    this.#listeners.add(listener);
    return async () => {
      if (!this.#listeners.delete(listener)) return;
      await listener.stop();
    };
  }

  /**
   * Runs `fn` in one transaction on a dedicated client and commits when it resolves (rolls back
   * when it throws). `fn` receives the pg client: run your own queries on it, and pass it to
   * `finishAttempts(inputs, client)` so the completion commits with them.
   */
  async transaction<T>(fn: (transaction: unknown) => Promise<T>): Promise<T> {
    this.#assertOpen("transaction");
    return inTransaction(this.#pool, fn, (call) => this.#run("transaction", call));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Callers already queued are committed and answered before the pool goes away.
    await this.#group.drain();
    await Promise.all([...this.#listeners].map((listener) => listener.stop()));
    this.#listeners.clear();
    if (this.#ownedPool) await this.#ownedPool.end();
  }

  /** A transaction for the store's own multi-statement work (its errors are wrapped by the caller's #run). */
  #transaction<T>(fn: (client: PgClientLike) => Promise<T>): Promise<T> {
    return inTransaction(this.#pool, fn);
  }

  /** Wraps driver failures as StoreError naming the method; the library's own errors pass as they are. */
  async #run<T>(method: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (isWebhookInboxError(error)) throw error;
      throw new StoreError(STORE_NAME, `${method} failed`, error);
    }
  }

  #assertOpen(method: string): void {
    if (this.#closed) throw new StoreError(STORE_NAME, `${method} failed: the store is closed`, new Error("PostgresStore is closed"));
  }
}
