/**
 * What each way of storing a webhook in SQLite costs, down to the floor, measured before building a
 * design (issue 16's suggestion: "stored = the raw delivery is durable", with the split into events and
 * the de-duplication done after the acknowledgement in larger batches). Every variant runs in turn on a
 * fresh file (round-robin, `rounds` times), FULL synchronous, one commit per wave of `wave` deliveries
 * (as 50 connections make them), and counts the process CPU (user + system, every thread) per delivery
 * for all it costs before and after the ack:
 *
 * - `floor-append`: the cheapest durable write of a webhook: one row holding the raw body, no index.
 * - `floor-dedupe`: the same with its dedupe key in a UNIQUE column (a random leaf per delivery).
 * - `delivery-row`: SqliteStore's delivery row (its four indexes) without events or dedupe key: the raw
 *   append of the suggested design, its cost before the ack.
 * - `raw-append`: the suggested design, all of it: `delivery-row`, then, at the first wave boundary at
 *   or past each `drain` deliveries (1,040 with waves of 26), in one transaction, their raw bodies read back and parsed by the provider again, their events inserted
 *   with SqliteStore's own multi-row INSERT and their dedupe keys set. The receive pipeline's first
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
import { loadSqliteDriver } from "../adapters/sqlite/load-driver.ts";
import { quickbooks } from "../adapters/quickbooks/index.ts";
import { xero } from "../adapters/xero/index.ts";
import { QBO_VERIFIER_TOKEN, XERO_WEBHOOK_KEY } from "./lib/workload.ts";

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/** The bench inbox's integrations, for the parse after the ack. */
const INTEGRATIONS = {
  qbo: { provider: quickbooks({ verifierToken: QBO_VERIFIER_TOKEN, getAccessToken: () => "unused" }), mode: "delayed" as const, delayMs: 3_600_000 },
  xero: { provider: xero({ webhookKey: XERO_WEBHOOK_KEY, getAccessToken: () => "unused" }), mode: "delayed" as const, delayMs: 3_600_000 },
};

/** SqliteStore as it is: one `insertDelivery` per webhook, `wave` at a time. */
async function current(filename: string, inputs: readonly StoreInput[], wave: number): Promise<number> {
  const store = new SqliteStore({ filename, synchronous: "full" });
  await store.migrate();
  const before = cpuMicros();
  for (let start = 0; start < inputs.length; start += wave) {
    await Promise.all(inputs.slice(start, start + wave).map((input) => store.insertDelivery(input)));
  }
  const spent = cpuMicros() - before;
  await store.close();
  return spent;
}

/** A connection set as SqliteStore sets its own (WAL, FULL, foreign keys, statement journals in memory, checkpoint every 10,000 frames). */
function open(filename: string): { db: Database; sql: (text: string) => Statement } {
  const Driver = loadSqliteDriver();
  const db = new Driver(filename);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.pragma("temp_store = MEMORY");
  db.pragma("wal_autocheckpoint = 10000");
  const statements = new Map<string, Statement>();
  const sql = (text: string) => {
    let statement = statements.get(text);
    if (statement === undefined) statements.set(text, (statement = db.prepare(text)));
    return statement;
  };
  return { db, sql };
}

/** A wave of deliveries written by `write`, one FULL commit per wave. */
function inWaves(sql: (text: string) => Statement, inputs: readonly StoreInput[], wave: number, write: (delivery: NewDelivery) => void): number {
  const before = cpuMicros();
  for (let start = 0; start < inputs.length; start += wave) {
    sql("BEGIN IMMEDIATE").run();
    for (const { delivery } of inputs.slice(start, start + wave)) write(delivery);
    sql("COMMIT").run();
  }
  return cpuMicros() - before;
}

const bodyOf = (delivery: NewDelivery) => Buffer.from(delivery.rawBody.buffer, delivery.rawBody.byteOffset, delivery.rawBody.byteLength);

/** The floors: the raw body alone in a table of its own (`dedupe`: with the dedupe key, UNIQUE). */
function floor(filename: string, inputs: readonly StoreInput[], wave: number, dedupe: boolean): number {
  const { db, sql } = open(filename);
  db.exec(`CREATE TABLE log (raw_body BLOB NOT NULL${dedupe ? ", dedupe_key TEXT UNIQUE" : ""}) STRICT`);
  const insert = dedupe ? "INSERT INTO log (raw_body, dedupe_key) VALUES (?, ?)" : "INSERT INTO log (raw_body) VALUES (?)";
  const spent = inWaves(sql, inputs, wave, (delivery) => {
    if (dedupe) sql(insert).run(bodyOf(delivery), delivery.dedupeKey);
    else sql(insert).run(bodyOf(delivery));
  });
  db.close();
  return spent;
}

const APPEND = `INSERT INTO deliveries (id, integration, provider, tenant_ids, received_at, headers, raw_body, dedupe_key, status, reason,
  response, duplicate_of, event_count) VALUES (?, ?, ?, '[]', ?, ?, ?, NULL, 'received', NULL, NULL, NULL, 0)`;
const READ_BACK = "SELECT id, integration, received_at, headers, raw_body FROM deliveries WHERE id >= ? AND id <= ? AND status = 'received' ORDER BY id";
const SPLIT_DONE = "UPDATE deliveries SET dedupe_key = ?, tenant_ids = ?, status = 'accepted', event_count = ? WHERE id = ?";

const append = (sql: (text: string) => Statement, delivery: NewDelivery) =>
  sql(APPEND).run(delivery.id, delivery.integration, delivery.provider, delivery.receivedAt.getTime(), JSON.stringify(delivery.headers), bodyOf(delivery));

/** A file with SqliteStore's schema, opened as the store opens it. */
async function storeFile(filename: string): Promise<{ db: Database; sql: (text: string) => Statement }> {
  const store = new SqliteStore({ filename, synchronous: "full" });
  await store.migrate();
  await store.close();
  return open(filename);
}

/** SqliteStore's delivery row alone, as the suggested design appends it before the ack. */
async function deliveryRow(filename: string, inputs: readonly StoreInput[], wave: number): Promise<number> {
  const { db, sql } = await storeFile(filename);
  const spent = inWaves(sql, inputs, wave, (delivery) => append(sql, delivery));
  db.close();
  return spent;
}

/** The suggested design: the raw delivery appended before the ack; split, dedupe keys and events after it, `drain` deliveries per transaction. */
async function rawAppend(filename: string, inputs: readonly StoreInput[], wave: number, drain: number): Promise<number> {
  const { db, sql } = await storeFile(filename);
  const before = cpuMicros();
  let drained = 0;
  for (let start = 0; start < inputs.length; start += wave) {
    sql("BEGIN IMMEDIATE").run();
    for (const { delivery } of inputs.slice(start, start + wave)) append(sql, delivery);
    sql("COMMIT").run();
    // The event loop turns between commits in the real store; the drain runs once `drain` deliveries wait.
    await new Promise((resolve) => setImmediate(resolve));
    const appended = Math.min(inputs.length, start + wave);
    if (appended - drained < drain && appended < inputs.length) continue;
    sql("BEGIN IMMEDIATE").run();
    const rows = sql(READ_BACK).all(inputs[drained]!.delivery.id, inputs[appended - 1]!.delivery.id) as ReadBackRow[];
    const events: NewEvent[] = [];
    for (const row of rows) {
      const integration = INTEGRATIONS[row.integration];
      const receivedAt = new Date(row.received_at);
      const parsed = integration.provider.parse({ rawBody: row.raw_body, headers: JSON.parse(row.headers), receivedAt });
      const split = newEvents(row.integration, integration, { id: row.id, receivedAt }, parsed.events, "delayed", 3);
      for (const event of split) events.push(event);
      sql(SPLIT_DONE).run(`${row.integration}:${parsed.dedupeKey}`, JSON.stringify(tenantsOf(parsed.events)), split.length, row.id);
    }
    insertEvents(sql, events);
    sql("COMMIT").run();
    if (rows.length !== appended - drained) throw new Error(`drained ${rows.length} of ${appended - drained}`);
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
      const integration = INTEGRATIONS[delivery.integration as "qbo" | "xero"];
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

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `min ${sorted[0]!.toFixed(1)}, median ${median.toFixed(1)}, max ${sorted[sorted.length - 1]!.toFixed(1)}`;
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
          ? floor(filename, inputs, wave, variant === "floor-dedupe")
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
  for (const variant of VARIANTS) console.log(`  ${variant.padEnd(14)} ${stats(figures.get(variant)!)}`);
  console.log(
    `  raw-append less the parse the receive pipeline no longer makes (${parse.toFixed(1)}): ${stats(figures.get("raw-append")!.map((value) => value - parse))}`,
  );
}

await main();
