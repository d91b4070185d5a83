/**
 * What each way of storing a webhook in SQLite costs, down to the floor, measured before building a
 * design (issue 16's suggestion: "stored = the raw delivery is durable", with the split into events and
 * the de-duplication done after the acknowledgement in larger batches). Every variant runs in turn on a
 * fresh SqliteStore file (round-robin, `rounds` times), FULL synchronous, one commit per wave of `wave`
 * deliveries (as 50 connections make them; the variants' own SQL on a connection set as the store
 * sets its own), and counts the process CPU (user + system, every thread) per delivery
 * for all it costs before and after the ack:
 *
 * - `floor-append`: the cheapest durable write of a webhook: one row holding the raw body, no index.
 * - `floor-dedupe`: the same with its dedupe key in a UNIQUE column (a random leaf per delivery).
 * - `delivery-row`: SqliteStore's delivery row (its four indexes) without events or dedupe key: the raw
 *   append of the suggested design, its cost before the ack.
 * - `raw-append`: the suggested design, all of it: `delivery-row`, then, at the first wave boundary at
 *   or past each `drain` deliveries (1,040 with waves of 26), in one transaction, their raw bodies read
 *   back and parsed by the provider again, their events inserted with SqliteStore's own multi-row INSERT and their dedupe keys set. The receive pipeline's first
 *   parse moves after the ack in this design, so its cost is printed beside it and subtracted once.
 * - `current`: `SqliteStore.insertDelivery` (delivery, dedupe and events in the group commit before the ack).
 *
 * Not part of `npm run bench`; the figures are in BENCHMARKS.md, section 1.
 *
 *   npx tsx bench/sqlite-designs-micro.ts [one-entity|mixed-1-10] [deliveries per round] [rounds] [wave] [drain]
 */
import { rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Database, Statement } from "better-sqlite3";
import type { NewDelivery, NewEvent } from "../src/index.ts";
import { newEvents, tenantsOf } from "../src/internal/new-event.ts";
import { SqliteStore } from "../adapters/sqlite/index.ts";
import { insertEvents } from "../adapters/sqlite/insert-delivery.ts";
import { captureStoreInputs, type StoreInput } from "./lib/captured-inputs.ts";
import type { IngestWorkload } from "./lib/ingest-payloads.ts";
import { configureConnection } from "../adapters/sqlite/connection.ts";
import { loadSqliteDriver } from "../adapters/sqlite/load-driver.ts";
import { toBlob, toJson } from "../adapters/sqlite/rows.ts";
import { BENCH_INTEGRATIONS } from "./lib/bench-inbox.ts";
import { minMedianMax } from "./lib/report.ts";

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/** SqliteStore as it is: one `insertDelivery` per webhook, `wave` at a time. */
async function current(filename: string, inputs: readonly StoreInput[], wave: number): Promise<number> {
  const store = await openStore(filename);
  const before = cpuMicros();
  for (let start = 0; start < inputs.length; start += wave) {
    await Promise.all(inputs.slice(start, start + wave).map((input) => store.insertDelivery(input)));
  }
  const spent = cpuMicros() - before;
  await store.close();
  return spent;
}

type Sql = (text: string) => Statement;

/** SqliteStore on a fresh file, migrated. */
async function openStore(filename: string): Promise<SqliteStore> {
  const store = new SqliteStore({ filename, synchronous: "full" });
  await store.migrate();
  return store;
}

/**
 * The file with SqliteStore's schema, on a connection of its own set as the store sets its own
 * (`configureConnection`), for the variants that write their own SQL: plain synchronous statements,
 * without the store's lock, promises and group committer (they cost ~2–3 µs a delivery at waves of
 * 26), so a floor is a floor. Statements are prepared once.
 */
async function openFile(filename: string): Promise<{ db: Database; sql: Sql }> {
  await (await openStore(filename)).close();
  const Driver = loadSqliteDriver();
  const db = new Driver(filename);
  configureConnection(db, "full");
  const statements = new Map<string, Statement>();
  const sql: Sql = (text) => {
    let statement = statements.get(text);
    if (statement === undefined) statements.set(text, (statement = db.prepare(text)));
    return statement;
  };
  return { db, sql };
}

/** `work` in one transaction (one FULL commit). */
function inTransaction<T>(sql: Sql, work: () => T): T {
  sql("BEGIN IMMEDIATE").run();
  const value = work();
  sql("COMMIT").run();
  return value;
}

/** Every wave of deliveries written by `write` in one transaction; the CPU it took. */
function inWaves(sql: Sql, inputs: readonly StoreInput[], wave: number, write: (sql: Sql, delivery: NewDelivery) => void): number {
  const before = cpuMicros();
  for (let start = 0; start < inputs.length; start += wave) {
    inTransaction(sql, () => {
      for (const { delivery } of inputs.slice(start, start + wave)) write(sql, delivery);
    });
  }
  return cpuMicros() - before;
}

/** The floors: the raw body alone in a table of its own (`dedupe`: with the dedupe key, UNIQUE). */
async function floor(filename: string, inputs: readonly StoreInput[], wave: number, dedupe: boolean): Promise<number> {
  const { db, sql } = await openFile(filename);
  db.exec(`CREATE TABLE log (raw_body BLOB NOT NULL${dedupe ? ", dedupe_key TEXT UNIQUE" : ""}) STRICT`);
  const insert = dedupe ? "INSERT INTO log (raw_body, dedupe_key) VALUES (?, ?)" : "INSERT INTO log (raw_body) VALUES (?)";
  const spent = inWaves(sql, inputs, wave, (sql, delivery) => {
    if (dedupe) sql(insert).run(toBlob(delivery.rawBody), delivery.dedupeKey);
    else sql(insert).run(toBlob(delivery.rawBody));
  });
  db.close();
  return spent;
}

const APPEND = `INSERT INTO deliveries (id, integration, provider, tenant_ids, received_at, headers, raw_body, dedupe_key, status, reason,
  response, duplicate_of, event_count) VALUES (?, ?, ?, '[]', ?, ?, ?, NULL, 'received', NULL, NULL, NULL, 0)`;
const READ_BACK = "SELECT id, integration, received_at, headers, raw_body FROM deliveries WHERE id >= ? AND id <= ? AND status = 'received' ORDER BY id";
const SPLIT_DONE = "UPDATE deliveries SET dedupe_key = ?, tenant_ids = ?, status = 'accepted', event_count = ? WHERE id = ?";

const append = (sql: Sql, delivery: NewDelivery) =>
  sql(APPEND).run(delivery.id, delivery.integration, delivery.provider, delivery.receivedAt.getTime(), toJson(delivery.headers), toBlob(delivery.rawBody));

/** SqliteStore's delivery row alone, as the suggested design appends it before the ack. */
async function deliveryRow(filename: string, inputs: readonly StoreInput[], wave: number): Promise<number> {
  const { db, sql } = await openFile(filename);
  const spent = inWaves(sql, inputs, wave, append);
  db.close();
  return spent;
}

/** The split after the ack of the deliveries `first`..`last`: parse again, the events, the dedupe keys; how many it found. */
function split(sql: Sql, first: string, last: string): number {
  const rows = sql(READ_BACK).all(first, last) as ReadBackRow[];
  const events: NewEvent[] = [];
  for (const row of rows) {
    const integration = BENCH_INTEGRATIONS[row.integration];
    const receivedAt = new Date(row.received_at);
    const parsed = integration.provider.parse({ rawBody: row.raw_body, headers: JSON.parse(row.headers), receivedAt });
    const made = newEvents(row.integration, integration, { id: row.id, receivedAt }, parsed.events, "delayed", 3);
    for (const event of made) events.push(event);
    sql(SPLIT_DONE).run(`${row.integration}:${parsed.dedupeKey}`, toJson(tenantsOf(parsed.events)), made.length, row.id);
  }
  insertEvents(sql, events);
  return rows.length;
}

/** The suggested design: the raw delivery appended before the ack; split, dedupe keys and events after it, `drain` deliveries per transaction. */
async function rawAppend(filename: string, inputs: readonly StoreInput[], wave: number, drain: number): Promise<number> {
  const { db, sql } = await openFile(filename);
  const before = cpuMicros();
  let drained = 0;
  for (let start = 0; start < inputs.length; start += wave) {
    inTransaction(sql, () => {
      for (const { delivery } of inputs.slice(start, start + wave)) append(sql, delivery);
    });
    // The event loop turns between commits in the real store; the drain runs once `drain` deliveries wait (and at the end).
    await new Promise((resolve) => setImmediate(resolve));
    const appended = Math.min(inputs.length, start + wave);
    if (appended - drained < drain && appended < inputs.length) continue;
    const found = inTransaction(sql, () => split(sql, inputs[drained]!.delivery.id, inputs[appended - 1]!.delivery.id));
    if (found !== appended - drained) throw new Error(`drained ${found} of ${appended - drained}`);
    drained = appended;
  }
  const spent = cpuMicros() - before;
  db.close();
  return spent;
}

type ReadBackRow = { id: string; integration: "qbo" | "xero"; received_at: number; headers: string; raw_body: Buffer };

/** CPU per delivery of the provider's parse and the split into events alone (what the drain repeats of the receive pipeline). */
function parseCost(inputs: readonly StoreInput[]): number {
  const parseAll = () => {
    let events = 0;
    for (const { delivery } of inputs) {
      const integration = BENCH_INTEGRATIONS[delivery.integration as "qbo" | "xero"];
      const parsed = integration.provider.parse({ rawBody: delivery.rawBody, headers: delivery.headers, receivedAt: delivery.receivedAt });
      events += newEvents(delivery.integration, integration, delivery, parsed.events, "delayed", 3).length;
    }
    if (events === 0) throw new Error("parsed no events");
  };
  // Warm, as the receive pipeline's parse always is: the least of three passes after a first.
  parseAll();
  let least = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < 3; pass += 1) {
    const before = cpuMicros();
    parseAll();
    least = Math.min(least, (cpuMicros() - before) / inputs.length);
  }
  return least;
}

const VARIANTS = ["floor-append", "floor-dedupe", "delivery-row", "raw-append", "current"] as const;

async function main(): Promise<void> {
  const workload = (process.argv[2] ?? "mixed-1-10") as IngestWorkload;
  const perRound = Number(process.argv[3] ?? 10_000);
  const rounds = Number(process.argv[4] ?? 3);
  const wave = Number(process.argv[5] ?? 26);
  const drain = Number(process.argv[6] ?? 1_024);
  const all = await captureStoreInputs(workload, perRound * rounds * VARIANTS.length);
  const figures = new Map<string, number[]>(VARIANTS.map((variant) => [variant, []]));
  let round = 0;
  for (let turn = 0; turn < rounds; turn += 1) {
    for (const variant of VARIANTS) {
      const inputs = all.slice(round * perRound, (round + 1) * perRound);
      const filename = join(process.env.MICRO_DIR ?? tmpdir(), `designs-${process.pid}-${round}.sqlite`);
      round += 1;
      const spent =
        variant === "floor-append" || variant === "floor-dedupe"
          ? await floor(filename, inputs, wave, variant === "floor-dedupe")
          : variant === "delivery-row"
            ? await deliveryRow(filename, inputs, wave)
            : variant === "raw-append"
              ? await rawAppend(filename, inputs, wave, drain)
              : await current(filename, inputs, wave);
      figures.get(variant)!.push(spent / perRound);
      for (const suffix of ["", "-wal", "-shm"]) rmSync(`${filename}${suffix}`, { force: true });
    }
  }
  const parse = parseCost(all.slice(0, perRound));
  console.log(
    `${workload}: ${perRound} deliveries per round, ${rounds} rounds of each variant in turn, wave ${wave}, drain ${drain}, load ${loadavg()[0]!.toFixed(2)}`,
  );
  console.log("CPU µs per delivery:");
  for (const variant of VARIANTS) console.log(`  ${variant.padEnd(14)} ${minMedianMax(figures.get(variant)!)}`);
  console.log(
    `  raw-append less the parse the receive pipeline no longer makes (${parse.toFixed(1)}): ${minMedianMax(figures.get("raw-append")!.map((value) => value - parse))}`,
  );
}

await main();
