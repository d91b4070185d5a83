import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { Database, Statement } from "better-sqlite3";
import { z } from "zod";
import {
  attemptsRemaining,
  StoreError,
  isWebhookInboxError,
  pageSize,
  poisonMessage,
  validateOptions,
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
  type NewDelivery,
  type NewEvent,
  type Page,
  type PageRequest,
  type RequeueInput,
  type StoreCapabilities,
  type UpdateDeliveryInput,
  type Watermark,
  type WebhookStore,
} from "../../src/index.ts";
import { AsyncMutex } from "./async-mutex.ts";
import { deliveryWhere, eventWhere } from "./filters.ts";
import { GroupCommit, type GroupOutcome } from "./group-commit.ts";
import { loadSqliteDriver } from "./load-driver.ts";
import { runSqliteMigrations } from "./migrations.ts";
import {
  toAttemptRecord,
  toBlob,
  toDeliveryRecord,
  toDeliverySummary,
  toEventRecord,
  toJson,
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
  /** How long to wait for a lock held by another connection before failing. @default 5000 */
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

type InsertInput = { delivery: NewDelivery; events: readonly NewEvent[] };

/** Event columns in list/claim results (not the lease columns, which are the store's business). */
const EVENT_COLUMNS = `id, delivery_id, integration, provider, tenant_id, entity_type, entity_id, operation, deleted,
  occurred_at, received_at, mode, status, max_attempts, next_attempt_at, next_trigger, payload, attempts_made,
  attempts_started, attempts_finished, last_error, superseded_by, updated_at`;
const SUMMARY_COLUMNS = `id, integration, provider, tenant_ids, received_at, headers, dedupe_key, status, reason, response,
  duplicate_of, event_count`;
/** Due work: queued/retrying whose time has come, and processing events whose lease expired. */
/** An event of another entity is not under a live lease (one claimer per entity). */
const NOT_BUSY = `NOT EXISTS (
    SELECT 1 FROM events busy
    WHERE busy.integration = events.integration AND busy.tenant_id = events.tenant_id
      AND busy.entity_type = events.entity_type AND busy.entity_id = events.entity_id
      AND busy.status = 'processing' AND busy.lease_expires_at > @now AND busy.id <> events.id)`;

/**
 * Due events, earliest first, at most @limit: one index-ordered walk per due state (events_claim_order),
 * merged, so a pass reads about @limit rows per state instead of sorting the whole backlog.
 */
function dueSelect(columns: string, idFilter: string): string {
  const state = (condition: string) =>
    `SELECT * FROM (SELECT ${columns} FROM events WHERE ${condition} AND ${NOT_BUSY} ${idFilter} ORDER BY next_attempt_at, id LIMIT @limit)`;
  return [
    state("status = 'queued' AND next_attempt_at <= @now"),
    state("status = 'retrying' AND next_attempt_at <= @now"),
    state("status = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at <= @now)"),
  ].join(" UNION ALL ") + " ORDER BY next_attempt_at, id LIMIT @limit";
}

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

  readonly #options: ResolvedOptions;
  #db: Database | null = null;
  #closed = false;
  readonly #mutex = new AsyncMutex();
  /** Marks the async context of `transaction(fn)`: calls made from inside fn join it instead of waiting. */
  readonly #inTransaction = new AsyncLocalStorage<object>();
  /** The token of the open `transaction(fn)`, or null; a context keeps its token after that transaction ended. */
  #openTransaction: object | null = null;
  readonly #statements = new Map<string, Statement>();
  readonly #inserts: GroupCommit<InsertInput, InsertDeliveryResult>;

  constructor(options: SqliteStoreOptions) {
    this.#options = validateOptions(sqliteStoreOptionsSchema, options, "SqliteStore options", { format: "pretty" });
    this.#inserts = new GroupCommit(this.#options.groupCommit, (inputs) => this.#commitInserts(inputs));
  }

  async migrate(): Promise<void> {
    await this.#run("migrate", () => undefined);
  }

  async insertDelivery(input: InsertInput): Promise<InsertDeliveryResult> {
    if (this.#joinsTransaction()) return this.#run("insertDelivery", (db) => this.#insertOne(db, input));
    if (this.#closed) throw closedError("insertDelivery");
    return this.#inserts.submit(input);
  }

  /** One transaction for a group; each input in its own savepoint, so one failure spares the others. */
  async #commitInserts(inputs: readonly InsertInput[]): Promise<readonly GroupOutcome<InsertDeliveryResult>[]> {
    return this.#run("insertDelivery", (db) => {
      const outcomes: GroupOutcome<InsertDeliveryResult>[] = [];
      db.transaction(() => {
        for (const input of inputs) {
          try {
            // #insertOne's own transaction nests as a savepoint here.
            outcomes.push({ ok: true, value: this.#insertOne(db, input) });
          } catch (cause) {
            outcomes.push({ ok: false, error: new StoreError(this.name, "insertDelivery failed", cause) });
          }
        }
      }).immediate();
      return outcomes;
    });
  }

  #insertOne(db: Database, { delivery, events }: InsertInput): InsertDeliveryResult {
    const run = db.transaction((): InsertDeliveryResult => {
      const original =
        delivery.dedupeKey === null
          ? undefined
          : (this.#prepare(db, "SELECT id FROM deliveries WHERE dedupe_key = ?").get(delivery.dedupeKey) as { id: string } | undefined);
      const row = {
        id: delivery.id,
        integration: delivery.integration,
        provider: delivery.provider,
        tenant_ids: toJson(delivery.tenantIds),
        received_at: delivery.receivedAt.getTime(),
        headers: toJson(delivery.headers),
        raw_body: toBlob(delivery.rawBody),
        dedupe_key: original ? null : delivery.dedupeKey,
        status: original ? "duplicate" : delivery.status,
        reason: delivery.reason,
        response: delivery.response === null ? null : toJson(delivery.response),
        duplicate_of: original?.id ?? null,
        event_count: original ? 0 : events.length,
      };
      this.#prepare(
        db,
        `INSERT INTO deliveries (id, integration, provider, tenant_ids, received_at, headers, raw_body, dedupe_key, status,
           reason, response, duplicate_of, event_count)
         VALUES (@id, @integration, @provider, @tenant_ids, @received_at, @headers, @raw_body, @dedupe_key, @status,
           @reason, @response, @duplicate_of, @event_count)`,
      ).run(row);
      if (original) return { status: "duplicate", deliveryId: delivery.id, duplicateOf: original.id };
      this.#insertEvents(db, events);
      return { status: "inserted", deliveryId: delivery.id };
    });
    return run();
  }

  #insertEvents(db: Database, events: readonly NewEvent[]): void {
    const statement = this.#prepare(
      db,
      `INSERT INTO events (id, delivery_id, integration, provider, tenant_id, entity_type, entity_id, operation, deleted,
         occurred_at, received_at, mode, status, max_attempts, next_attempt_at, next_trigger, payload, updated_at)
       VALUES (@id, @delivery_id, @integration, @provider, @tenant_id, @entity_type, @entity_id, @operation, @deleted,
         @occurred_at, @received_at, @mode, 'queued', @max_attempts, @next_attempt_at, @next_trigger, @payload, @received_at)`,
    );
    for (const event of events) {
      statement.run({
        id: event.id,
        delivery_id: event.deliveryId,
        integration: event.integration,
        provider: event.provider,
        tenant_id: event.tenantId,
        entity_type: event.entityType,
        entity_id: event.entityId,
        operation: event.operation,
        deleted: event.deleted ? 1 : 0,
        occurred_at: event.occurredAt.getTime(),
        received_at: event.receivedAt.getTime(),
        mode: event.mode,
        max_attempts: event.maxAttempts,
        next_attempt_at: event.nextAttemptAt.getTime(),
        next_trigger: event.nextTrigger,
        payload: toJson(event.payload),
      });
    }
  }

  async updateDelivery(input: UpdateDeliveryInput): Promise<void> {
    await this.#run("updateDelivery", (db) => {
      db.transaction(() => {
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
        if (sets.length > 0) {
          const { changes } = this.#prepare(db, `UPDATE deliveries SET ${sets.join(", ")} WHERE id = @id`).run(params);
          if (changes === 0) return; // Unknown delivery: nothing to update, as in MemoryStore.
        } else if (!this.#prepare(db, "SELECT 1 FROM deliveries WHERE id = ?").get(input.id)) {
          return;
        }
        this.#insertEvents(db, events);
      }).immediate();
    });
  }

  async getDelivery(id: string): Promise<DeliveryRecord | null> {
    return this.#run("getDelivery", (db) => {
      const row = this.#prepare(db, `SELECT ${SUMMARY_COLUMNS}, raw_body FROM deliveries WHERE id = ?`).get(id) as DeliveryRow | undefined;
      return row ? toDeliveryRecord(row) : null;
    });
  }

  async listDeliveries(input: DeliveryFilter & PageRequest): Promise<Page<DeliverySummary>> {
    return this.#run("listDeliveries", (db) => {
      const limit = pageSize(input.limit);
      const where = deliveryWhere(input);
      const cursor = input.cursor === undefined ? "" : "AND id < ?";
      const params = [...where.params, ...(input.cursor === undefined ? [] : [input.cursor]), limit + 1];
      const rows = this.#prepare(
        db,
        `SELECT ${SUMMARY_COLUMNS} FROM deliveries WHERE ${where.sql} ${cursor} ORDER BY id DESC LIMIT ?`,
      ).all(...params) as DeliveryRow[];
      return toPage(rows.map(toDeliverySummary), limit);
    });
  }

  async claimDue({ now, limit, leaseMs, workerId, ids }: ClaimDueInput): Promise<ClaimResult> {
    return this.#run("claimDue", (db) => {
      const at = now.getTime();
      const idFilter = ids ? "AND id IN (SELECT value FROM json_each(@ids))" : "";
      const select = this.#prepare(db, dueSelect(EVENT_COLUMNS, idFilter));
      const lease = this.#prepare(
        db,
        `UPDATE events SET status = 'processing', attempts_started = attempts_started + 1, updated_at = @now,
           lease_token = @token, lease_expires_at = @expires, leased_by = @worker
         WHERE id = @id RETURNING ${EVENT_COLUMNS}`,
      );
      const poison = this.#prepare(
        db,
        `UPDATE events SET status = 'failed', last_error = @error, updated_at = @now,
           lease_token = NULL, lease_expires_at = NULL, leased_by = NULL
         WHERE id = @id RETURNING ${EVENT_COLUMNS}`,
      );
      const events: ClaimedEvent[] = [];
      const poisoned: EventRecord[] = [];
      db.transaction(() => {
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

  async finishAttempts(inputs: readonly FinishAttemptInput[], transaction?: unknown): Promise<boolean[]> {
    if (transaction !== undefined) {
      // Inside transaction(fn): join the open transaction (the mutex is already ours).
      const db = this.#db;
      if (db === null || transaction !== db || this.#openTransaction === null || !db.inTransaction) {
        throw new StoreError(this.name, "finishAttempts failed: the transaction is not an open transaction of this store");
      }
      return this.#guard("finishAttempts", () => this.#finishAll(db, inputs));
    }
    return this.#run("finishAttempts", (db) => this.#finishAll(db, inputs));
  }

  #finishAll(db: Database, inputs: readonly FinishAttemptInput[]): boolean[] {
    const release = this.#prepare(
      db,
      `UPDATE events SET status = @status, attempts_made = @attempts_made, attempts_finished = attempts_finished + 1,
         next_attempt_at = COALESCE(@next_attempt_at, next_attempt_at), next_trigger = @next_trigger, last_error = @last_error,
         superseded_by = CASE WHEN @set_superseded = 1 THEN @superseded_by ELSE superseded_by END,
         updated_at = @now, lease_token = NULL, lease_expires_at = NULL, leased_by = NULL
       WHERE id = @id AND lease_token = @lease_token`,
    );
    const attempt = this.#prepare(
      db,
      `INSERT INTO attempts (event_id, number, trigger, started_at, ended_at, outcome, error)
       VALUES (@id, (SELECT COALESCE(MAX(number), 0) + 1 FROM attempts WHERE event_id = @id), @trigger, @started_at,
         @ended_at, @outcome, @error)`,
    );
    const resource = this.#prepare(
      db,
      `INSERT INTO resources (event_id, data, downloaded_at) VALUES (@id, @data, @downloaded_at)
       ON CONFLICT (event_id) DO UPDATE SET data = excluded.data, downloaded_at = excluded.downloaded_at`,
    );
    // Moves only forward by (occurred_at, event_id), as isNewerWatermark; the download time keeps the max.
    const watermark = this.#prepare(
      db,
      `INSERT INTO watermarks (integration, tenant_id, entity_type, entity_id, occurred_at, event_id, downloaded_at)
       VALUES (@integration, @tenant_id, @entity_type, @entity_id, @occurred_at, @event_id, @downloaded_at)
       ON CONFLICT (integration, tenant_id, entity_type, entity_id) DO UPDATE SET
         occurred_at = CASE WHEN ${NEWER} THEN excluded.occurred_at ELSE occurred_at END,
         event_id = CASE WHEN ${NEWER} THEN excluded.event_id ELSE event_id END,
         downloaded_at = MAX(downloaded_at, excluded.downloaded_at)`,
    );
    return db.transaction(() =>
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
          });
        }
        return true;
      }),
    ).immediate();
  }

  async requeue({ now, ids, filter }: RequeueInput): Promise<string[]> {
    return this.#run("requeue", (db) => {
      const where = eventWhere(filter ?? {});
      const idFilter = ids ? "AND id IN (SELECT value FROM json_each(?))" : "";
      const at = now.getTime();
      const rows = this.#prepare(
        db,
        `UPDATE events SET status = 'queued', next_attempt_at = ?, next_trigger = 'manual', superseded_by = NULL, updated_at = ?,
           lease_token = NULL, lease_expires_at = NULL, leased_by = NULL, attempts_finished = attempts_started
         WHERE status <> 'succeeded' AND NOT (lease_token IS NOT NULL AND lease_expires_at > ?) ${idFilter} AND ${where.sql}
         RETURNING id`,
      ).all(at, at, at, ...(ids ? [JSON.stringify(ids)] : []), ...where.params) as { id: string }[];
      return rows.map((row) => row.id);
    });
  }

  async getWatermarks(keys: readonly EntityKey[]): Promise<Watermark[]> {
    return this.#run("getWatermarks", (db) => {
      const select = this.#prepare(
        db,
        "SELECT * FROM watermarks WHERE integration = ? AND tenant_id = ? AND entity_type = ? AND entity_id = ?",
      );
      const found: Watermark[] = [];
      for (const key of keys) {
        const row = select.get(key.integration, key.tenantId, key.entityType, key.entityId) as WatermarkRow | undefined;
        if (row) found.push(toWatermark(row));
      }
      return found;
    });
  }

  async getEvent(id: string): Promise<EventDetails | null> {
    return this.#run("getEvent", (db) => {
      const row = this.#prepare(db, `SELECT ${EVENT_COLUMNS} FROM events WHERE id = ?`).get(id) as EventRow | undefined;
      if (!row) return null;
      const event = toEventRecord(row);
      const attempts = this.#prepare(db, "SELECT * FROM attempts WHERE event_id = ? ORDER BY number").all(id) as AttemptRow[];
      const resource = this.#prepare(db, "SELECT data, downloaded_at FROM resources WHERE event_id = ?").get(id) as
        | { data: string; downloaded_at: number }
        | undefined;
      return {
        ...event,
        attemptsRemaining: attemptsRemaining(event),
        attempts: attempts.map(toAttemptRecord),
        resourceData: resource ? { data: JSON.parse(resource.data) as unknown, downloadedAt: new Date(resource.downloaded_at) } : null,
      };
    });
  }

  async listEvents(input: EventFilter & PageRequest): Promise<Page<EventRecord>> {
    return this.#run("listEvents", (db) => {
      const limit = pageSize(input.limit);
      const where = eventWhere(input);
      const cursor = input.cursor === undefined ? "" : "AND id < ?";
      const params = [...where.params, ...(input.cursor === undefined ? [] : [input.cursor]), limit + 1];
      const rows = this.#prepare(db, `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.sql} ${cursor} ORDER BY id DESC LIMIT ?`).all(
        ...params,
      ) as EventRow[];
      return toPage(rows.map(toEventRecord), limit);
    });
  }

  async countEvents(filter: EventFilter): Promise<EventCount[]> {
    return this.#run("countEvents", (db) => {
      const where = eventWhere(filter);
      return this.#prepare(
        db,
        `SELECT integration, status, COUNT(*) AS count FROM events WHERE ${where.sql} GROUP BY integration, status`,
      ).all(...where.params) as EventCount[];
    });
  }

  async nextDueAt(): Promise<Date | null> {
    return this.#run("nextDueAt", (db) => {
      const row = this.#prepare(
        db,
        `SELECT MIN(due) AS due FROM (
           SELECT MIN(next_attempt_at) AS due FROM events WHERE status IN ('queued', 'retrying')
           UNION ALL
           SELECT MIN(COALESCE(lease_expires_at, next_attempt_at)) FROM events WHERE status = 'processing')`,
      ).get() as { due: number | null };
      return row.due === null ? null : new Date(row.due);
    });
  }

  async prune({ olderThan }: { olderThan: Date }): Promise<number> {
    return this.#run("prune", (db) =>
      db.transaction(() => {
        const cutoff = olderThan.getTime();
        const old = "SELECT id FROM events WHERE status IN ('succeeded', 'stale') AND updated_at < @cutoff";
        this.#prepare(db, `DELETE FROM attempts WHERE event_id IN (${old})`).run({ cutoff });
        this.#prepare(db, `DELETE FROM resources WHERE event_id IN (${old})`).run({ cutoff });
        const { changes } = this.#prepare(db, `DELETE FROM events WHERE id IN (${old})`).run({ cutoff });
        // Deliveries left without events (emptied, refused, duplicates, direct); unparseable ones wait for an operator.
        this.#prepare(
          db,
          `DELETE FROM deliveries WHERE received_at < @cutoff AND status <> 'unparseable'
             AND NOT EXISTS (SELECT 1 FROM events WHERE events.delivery_id = deliveries.id)`,
        ).run({ cutoff });
        return changes;
      }).immediate(),
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
    if (this.#joinsTransaction()) {
      throw new StoreError(this.name, "transaction failed: a transaction is already open in this context");
    }
    return this.#mutex.run(async () => {
      if (this.#closed) throw closedError("transaction");
      const db = this.#guard("transaction", () => this.#open());
      this.#guard("transaction", () => db.exec("BEGIN IMMEDIATE"));
      const token = {};
      this.#openTransaction = token;
      try {
        let value: T;
        try {
          value = await this.#inTransaction.run(token, () => fn(db));
        } catch (error) {
          rollbackQuietly(db);
          throw error; // fn's own error, unwrapped: it is the host's.
        }
        try {
          db.exec("COMMIT");
        } catch (error) {
          rollbackQuietly(db);
          throw new StoreError(this.name, "transaction failed", error);
        }
        return value;
      } finally {
        this.#openTransaction = null;
      }
    });
  }

  /** Commits pending group-committed inserts, then closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#inserts.drain();
    await this.#mutex.run(() => {
      this.#statements.clear();
      this.#db?.close();
      this.#db = null;
    });
  }

  #joinsTransaction(): boolean {
    return this.#openTransaction !== null && this.#inTransaction.getStore() === this.#openTransaction;
  }

  /** Runs `work` on the open database under the mutex (or inside the caller's transaction), wrapping driver errors. */
  async #run<T>(method: string, work: (db: Database) => T): Promise<T> {
    if (this.#joinsTransaction()) return this.#guard(method, () => work(this.#db!));
    return this.#mutex.run(() => {
      if (this.#closed && this.#db === null) throw closedError(method);
      return this.#guard(method, () => work(this.#open()));
    });
  }

  #guard<T>(method: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (isWebhookInboxError(error)) throw error;
      throw new StoreError(this.name, `${method} failed`, error);
    }
  }

  /** Opens the file and brings the schema up to date, once. */
  #open(): Database {
    if (this.#db) return this.#db;
    const Driver = loadSqliteDriver();
    const db = new Driver(this.#options.filename, { timeout: this.#options.busyTimeoutMs });
    try {
      db.pragma("journal_mode = WAL");
      db.pragma(`synchronous = ${this.#options.synchronous === "full" ? "FULL" : "NORMAL"}`);
      db.pragma("foreign_keys = ON");
      runSqliteMigrations(db);
    } catch (error) {
      db.close();
      throw error;
    }
    this.#db = db;
    return db;
  }

  #prepare(db: Database, sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

function closedError(method: string): StoreError {
  return new StoreError("sqlite", `${method} failed: the store is closed`);
}

function rollbackQuietly(db: Database): void {
  try {
    if (db.inTransaction) db.exec("ROLLBACK");
  } catch {
    // SQLite may already have rolled back (e.g. after an I/O error); the caller sees the error that caused it.
  }
}

/** `excluded` (the new watermark) is newer than the stored one by (occurred_at, event_id). */
const NEWER = `(excluded.occurred_at > watermarks.occurred_at
  OR (excluded.occurred_at = watermarks.occurred_at AND excluded.event_id > watermarks.event_id))`;

function toPage<T extends { id: string }>(items: T[], limit: number): Page<T> {
  if (items.length <= limit) return { items, nextCursor: null };
  const page = items.slice(0, limit);
  return { items: page, nextCursor: page[page.length - 1]!.id };
}
