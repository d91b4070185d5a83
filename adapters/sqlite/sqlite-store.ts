/** SqliteStore: the WebhookStore in one SQLite file (the methods; SQL in queries.ts, the connection in connection.ts). */
import { randomUUID } from "node:crypto";
import type { Database, Statement } from "better-sqlite3";
import { z } from "zod";
import {
  attemptsRemaining,
  type ClaimDueInput,
  type ClaimResult,
  type ClaimedEvent,
  type DeliveryFilter,
  type DeliveryRecord,
  type DeliverySummary,
  type EntityKey,
  type EventCount,
  type EventDetails,
  type EventFilter,
  type EventRecord,
  type FinishAttemptInput,
  type InsertDeliveryResult,
  type Page,
  type PageRequest,
  type RequeueInput,
  type StoreCapabilities,
  type UpdateDeliveryInput,
  type Watermark,
  type WebhookStore,
} from "../../src/index.ts";
import { validateOptions } from "../../src/adapter-kit/index.ts";
import { GroupCommitter, pageSize, poisonMessage } from "../../src/store-kit/index.ts";
import { claimGroups } from "./claim-groups.ts";
import { SqliteConnection, closedError, type Work } from "./connection.ts";
import { SqliteSharedState } from "./shared-state.ts";
import { deliveryWhere, eventWhere } from "./filters.ts";
import { insertEvents, insertGroup, insertOne, type InsertInput } from "./insert-delivery.ts";
import * as Q from "./queries.ts";
import { SqliteReconciliation } from "./reconciliation.ts";
import {
  toAttemptRecord,
  toDeliveryRecord,
  toDeliverySummary,
  toEventRecord,
  toJson,
  toPage,
  toWatermark,
  type AttemptRow,
  type DeliveryRow,
  type EventRow,
  type WatermarkRow,
} from "./rows.ts";

const sqliteStoreOptionsSchema = z.strictObject({
  /** Path of the database file (created when missing). */
  filename: z.string().min(1),
  /**
   * `"full"`: every commit is fsynced, so an acknowledged webhook survives a power loss.
   * `"normal"`: in WAL mode, commits survive a process crash but the last ones may be lost on power
   * loss or an OS crash; faster. @default "full"
   */
  synchronous: z.enum(["full", "normal"]).default("full"),
  /**
   * How long an operation waits for a lock held by another connection (another process writing the
   * file) before it fails; a receive is then answered 503 + Retry-After. The wait is asynchronous
   * (short tries with backoff), so the event loop never blocks on the lock. @default 5000
   */
  busyTimeoutMs: z.number().int().nonnegative().default(5_000),
  /** Concurrent `insertDelivery` calls share one transaction (one fsync). */
  groupCommit: z
    .strictObject({
      /** Most deliveries per transaction. @default 64 */
      maxBatch: z.number().int().positive().default(64),
      /** How long the first delivery waits for others; 0 = only those arriving in the same tick. @default 0 */
      maxWaitMs: z.number().int().nonnegative().max(1_000).default(0),
    })
    .prefault({}),
});

/** Options of {@link SqliteStore}. */
export type SqliteStoreOptions = z.input<typeof sqliteStoreOptionsSchema>;
type ResolvedOptions = z.output<typeof sqliteStoreOptionsSchema>;

/**
 * A durable `WebhookStore` in one SQLite file (better-sqlite3, WAL mode): the embedded default for
 * a single process. Concurrent receives are group-committed; `transaction(fn)` lets a handler's own
 * writes to the same file commit together with the event's completion.
 *
 * @example
 * ```ts
 * import { createWebhookInbox } from "webhook-inbox";
 * import { SqliteStore } from "webhook-inbox/sqlite";
 *
 * const inbox = createWebhookInbox({ store: new SqliteStore({ filename: "./webhooks.sqlite" }), integrations });
 * ```
 */
export class SqliteStore implements WebhookStore {
  readonly name = "sqlite";
  /**
   * - `multiProcess: false`: one process owns the file. Claims are exclusive inside this process (one
   *   connection, synchronous statements), but nothing coordinates leases with another process.
   * - `durable: true`: committed data survives a restart (and, with `synchronous: "full"`, a power loss).
   * - `transactionalHandler: true`: see {@link SqliteStore.transaction}.
   */
  readonly capabilities: StoreCapabilities = { multiProcess: false, durable: true, transactionalHandler: true };

  /** Reconciliation watermarks, leases and runs, in the same file. */
  readonly reconciliation: SqliteReconciliation;
  /** Settings and token leases in this file (see `SharedStateStore`). */
  readonly sharedState: SqliteSharedState;

  readonly #connection: SqliteConnection;
  readonly #inserts: GroupCommitter<InsertInput, InsertDeliveryResult>;

  constructor(options: SqliteStoreOptions) {
    const resolved: ResolvedOptions = validateOptions(sqliteStoreOptionsSchema, options, "SqliteStore options", { format: "pretty" });
    this.#connection = new SqliteConnection(resolved);
    this.reconciliation = new SqliteReconciliation(this.#connection);
    this.sharedState = new SqliteSharedState((method, work) => this.#run(method, work));
    // One group at a time: the connection runs one operation at a time anyway, so groups grow under load.
    this.#inserts = new GroupCommitter((inputs) => this.#run("insertDelivery", (db, sql) => insertGroup(db, sql, inputs)), {
      ...resolved.groupCommit,
      maxInFlight: 1,
    });
  }

  async migrate(): Promise<void> {
    await this.#run("migrate", () => undefined);
  }

  async insertDelivery(input: InsertInput): Promise<InsertDeliveryResult> {
    if (this.#connection.joinsTransaction()) return this.#run("insertDelivery", (db, sql) => insertOne(db, sql, input));
    if (this.#connection.closed) throw closedError("insertDelivery");
    return this.#inserts.submit(input);
  }

  async updateDelivery(input: UpdateDeliveryInput): Promise<boolean> {
    return this.#run("updateDelivery", (db, sql) =>
      db
        .transaction((): boolean => {
          const sets: string[] = [];
          const params: Record<string, unknown> = { id: input.id };
          if (input.status !== undefined) {
            sets.push("status = @status");
            params.status = input.status;
          }
          if (input.reason !== undefined) {
            sets.push("reason = @reason");
            params.reason = input.reason;
          }
          if (input.response !== undefined) {
            sets.push("response = @response");
            params.response = toJson(input.response);
          }
          if (input.tenantIds !== undefined) {
            sets.push("tenant_ids = @tenant_ids");
            params.tenant_ids = toJson(input.tenantIds);
          }
          if (input.releaseDedupeKey) sets.push("dedupe_key = NULL");
          const events = input.events ?? [];
          if (events.length > 0) {
            sets.push("event_count = event_count + @added");
            params.added = events.length;
          }
          if (input.ifStatus !== undefined) params.if_status = input.ifStatus;
          const guard = input.ifStatus === undefined ? "" : Q.IF_STATUS;
          if (sets.length > 0) {
            const { changes } = sql(Q.updateDelivery(sets, guard)).run(params);
            if (changes === 0) return false; // Unknown delivery (or not in ifStatus): nothing to update, as in MemoryStore.
          } else if (!sql(Q.deliveryExists(guard)).get(params)) {
            return false;
          }
          insertEvents(sql, events);
          return true;
        })
        .immediate(),
    );
  }

  async getDelivery(id: string): Promise<DeliveryRecord | null> {
    return this.#run("getDelivery", (_db, sql) => {
      const row = sql(Q.GET_DELIVERY).get(id) as DeliveryRow | undefined;
      return row ? toDeliveryRecord(row) : null;
    });
  }

  async listDeliveries(input: DeliveryFilter & PageRequest): Promise<Page<DeliverySummary>> {
    return this.#run("listDeliveries", (_db, sql) => {
      const limit = pageSize(input.limit);
      const where = deliveryWhere(input);
      const cursor = input.cursor === undefined ? "" : Q.CURSOR;
      const params = [...where.params, ...(input.cursor === undefined ? [] : [input.cursor]), limit + 1];
      const rows = sql(Q.listDeliveries(where.sql, cursor)).all(...params) as DeliveryRow[];
      return toPage(rows.map(toDeliverySummary), limit);
    });
  }

  async claimDue({ now, limit, leaseMs, workerId, ids, groups }: ClaimDueInput): Promise<ClaimResult> {
    return this.#run("claimDue", (db, sql) => {
      const at = now.getTime();
      const select = sql(Q.dueSelect(ids ? Q.CLAIM_ID_FILTER : ""));
      const lease = sql(Q.CLAIM_LEASE);
      const poison = sql(Q.CLAIM_POISON);
      const events: ClaimedEvent[] = [];
      const poisoned: EventRecord[] = [];
      db.transaction(() => {
        if (groups && !ids) return claimGroups(sql, { at, limit, leaseMs, workerId, groups }, events, poisoned);
        // Poisoned rows stop being due, so loop until `limit` claims or nothing due is left.
        while (events.length < limit) {
          const params: Record<string, unknown> = { now: at, limit: limit - events.length };
          if (ids) params.ids = JSON.stringify(ids);
          const rows = select.all(params) as EventRow[];
          let poisonedNow = 0;
          for (const row of rows) {
            if (row.attempts_started - row.attempts_finished >= row.max_attempts) {
              const error = poisonMessage({ attemptsStarted: row.attempts_started, attemptsFinished: row.attempts_finished });
              poisoned.push(toEventRecord(poison.get({ id: row.id, error, now: at }) as EventRow));
              poisonedNow += 1;
              continue;
            }
            const token = randomUUID();
            const updated = lease.get({ id: row.id, now: at, token, expires: at + leaseMs, worker: workerId }) as EventRow;
            events.push({ ...toEventRecord(updated), leaseToken: token });
          }
          if (rows.length === 0 || poisonedNow === 0) break;
        }
      }).immediate();
      return { events, poisoned };
    });
  }

  async startAttempts({ leases }: { now: Date; leases: readonly { eventId: string; leaseToken: string }[] }): Promise<boolean[]> {
    return this.#run("startAttempts", (db, sql) => {
      const start = sql(Q.START_ATTEMPT);
      return db.transaction(() => leases.map(({ eventId, leaseToken }) => start.run({ id: eventId, lease_token: leaseToken }).changes === 1)).immediate();
    });
  }

  async finishAttempts(inputs: readonly FinishAttemptInput[], transaction?: unknown): Promise<boolean[]> {
    const work: Work<boolean[]> = (db, sql) => finishAll(db, sql, inputs);
    // Inside transaction(fn): join the open transaction (the lock is already ours).
    if (transaction !== undefined) return this.#connection.runInOpenTransaction("finishAttempts", transaction, work);
    return this.#run("finishAttempts", work);
  }

  async requeue({ now, ids, filter }: RequeueInput): Promise<string[]> {
    return this.#run("requeue", (_db, sql) => {
      const where = eventWhere(filter ?? {});
      const at = now.getTime();
      const rows = sql(Q.requeue(ids ? Q.REQUEUE_ID_FILTER : "", where.sql)).all(at, at, at, ...(ids ? [JSON.stringify(ids)] : []), ...where.params) as {
        id: string;
      }[];
      return rows.map((row) => row.id);
    });
  }

  async getWatermarks(keys: readonly EntityKey[]): Promise<Watermark[]> {
    return this.#run("getWatermarks", (_db, sql) => {
      const select = sql(Q.GET_WATERMARK);
      const found: Watermark[] = [];
      for (const key of keys) {
        const row = select.get(key.integration, key.tenantId, key.entityType, key.entityId) as WatermarkRow | undefined;
        if (row) found.push(toWatermark(row));
      }
      return found;
    });
  }

  async nextDownloadSequence(): Promise<number> {
    return this.#run("nextDownloadSequence", (_db, sql) => (sql(Q.NEXT_DOWNLOAD_SEQUENCE).get() as { value: number }).value);
  }

  async getEvent(id: string): Promise<EventDetails | null> {
    return this.#run("getEvent", (_db, sql) => {
      const row = sql(Q.GET_EVENT).get(id) as EventRow | undefined;
      if (!row) return null;
      const event = toEventRecord(row);
      const attempts = sql(Q.GET_ATTEMPTS).all(id) as AttemptRow[];
      const resource = sql(Q.GET_RESOURCE).get(id) as { data: string; downloaded_at: number } | undefined;
      return {
        ...event,
        attemptsRemaining: attemptsRemaining(event),
        attempts: attempts.map(toAttemptRecord),
        resourceData: resource ? { data: JSON.parse(resource.data) as unknown, downloadedAt: new Date(resource.downloaded_at) } : null,
      };
    });
  }

  async listEvents(input: EventFilter & PageRequest): Promise<Page<EventRecord>> {
    return this.#run("listEvents", (_db, sql) => {
      const limit = pageSize(input.limit);
      const where = eventWhere(input);
      const cursor = input.cursor === undefined ? "" : Q.CURSOR;
      const params = [...where.params, ...(input.cursor === undefined ? [] : [input.cursor]), limit + 1];
      const rows = sql(Q.listEvents(where.sql, cursor)).all(...params) as EventRow[];
      return toPage(rows.map(toEventRecord), limit);
    });
  }

  async countEvents(filter: EventFilter): Promise<EventCount[]> {
    return this.#run("countEvents", (_db, sql) => {
      const where = eventWhere(filter);
      return sql(Q.countEvents(where.sql)).all(...where.params) as EventCount[];
    });
  }

  async nextDueAt(): Promise<Date | null> {
    return this.#run("nextDueAt", (_db, sql) => {
      const row = sql(Q.NEXT_DUE_AT).get() as { due: number | null };
      return row.due === null ? null : new Date(row.due);
    });
  }

  async prune({ olderThan }: { olderThan: Date }): Promise<number> {
    return this.#run("prune", (db, sql) =>
      db
        .transaction(() => {
          const cutoff = olderThan.getTime();
          sql(Q.PRUNE.attempts).run({ cutoff });
          sql(Q.PRUNE.resources).run({ cutoff });
          const { changes } = sql(Q.PRUNE.events).run({ cutoff });
          sql(Q.PRUNE.deliveries).run({ cutoff });
          return changes;
        })
        .immediate(),
    );
  }

  /**
   * Runs `fn` inside one `BEGIN IMMEDIATE` transaction on the store's connection and commits when it
   * resolves (rolls back and rethrows when it throws). `fn` receives the better-sqlite3 `Database`:
   * write your own tables through it, and the processor's `finishAttempts(inputs, transaction)`
   * commits in the same transaction. Every other operation on this store waits until it ends, so
   * nothing else interleaves; calls made from inside `fn` join it.
   */
  async transaction<T>(fn: (transaction: unknown) => Promise<T>): Promise<T> {
    return this.#connection.transaction(fn);
  }

  /** Commits pending group-committed inserts, then closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.#connection.closed) return;
    this.#connection.markClosing();
    await this.#inserts.drain();
    await this.#connection.close();
  }

  #run<T>(method: string, work: Work<T>): Promise<T> {
    return this.#connection.run(method, work);
  }
}

/** Releases each finished lease and writes its attempt, resource and watermark, in one transaction. */
function finishAll(db: Database, sql: (text: string) => Statement, inputs: readonly FinishAttemptInput[]): boolean[] {
  const release = sql(Q.FINISH_RELEASE);
  const attempt = sql(Q.FINISH_ATTEMPT);
  const resource = sql(Q.FINISH_RESOURCE);
  const watermark = sql(Q.FINISH_WATERMARK);
  return db
    .transaction(() =>
      inputs.map((input) => {
        const { changes } = release.run({
          id: input.eventId,
          lease_token: input.leaseToken,
          status: input.status,
          attempts_made: input.attemptsMade,
          next_attempt_at: input.nextAttemptAt?.getTime() ?? null,
          next_trigger: input.nextTrigger,
          last_error: input.lastError,
          set_superseded: input.supersededBy === undefined ? 0 : 1,
          superseded_by: input.supersededBy ?? null,
          now: input.now.getTime(),
        });
        if (changes === 0) return false;
        if (input.attempt) {
          attempt.run({
            id: input.eventId,
            trigger: input.attempt.trigger,
            started_at: input.attempt.startedAt.getTime(),
            ended_at: input.attempt.endedAt.getTime(),
            outcome: input.attempt.outcome,
            error: input.attempt.error,
          });
        }
        if (input.resource) {
          resource.run({ id: input.eventId, data: toJson(input.resource.data), downloaded_at: input.resource.downloadedAt.getTime() });
        }
        if (input.watermark) {
          const mark = input.watermark;
          watermark.run({
            integration: mark.integration,
            tenant_id: mark.tenantId,
            entity_type: mark.entityType,
            entity_id: mark.entityId,
            occurred_at: mark.occurredAt.getTime(),
            event_id: mark.eventId,
            downloaded_at: mark.downloadedAt.getTime(),
            download_seq: mark.downloadSequence ?? null,
          });
        }
        return true;
      }),
    )
    .immediate();
}
