/**
 * One poisoned event must not take its pass down with it (issue 14): 1 event whose handler kills the
 * process and 99 innocent ones, drained by a worker process restarted after every death. Only the
 * events whose handlers had started when the process died are charged an interrupted attempt, and
 * those are then claimed alone: every innocent event succeeds, and the poison ends `failed` with the
 * poison message after `maxAttempts` (3) deaths.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { NewDelivery, NewEvent, WebhookStore } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";
import { SqliteStore } from "webhook-inbox/sqlite";
import { createId, poisonMessage } from "webhook-inbox/store-kit";
import { spawnFixture } from "./fixtures/child-process.ts";

const TOTAL = 100;
const POISON_AT = 37;
const url = process.env.DATABASE_URL;
const dir = mkdtempSync(join(tmpdir(), "wi-poison-"));
const schema = `wi_poison_${randomBytes(5).toString("hex")}`;
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!url) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
});

interface Variant {
  readonly name: string;
  readonly kill: "exit" | "sigkill";
  readonly env: Record<string, string>;
  readonly open: () => WebhookStore;
}
const file = join(dir, "poison.sqlite");
const variants: Variant[] = [
  { name: "SQLite, process.exit in the handler", kill: "exit", env: { STORE: "sqlite", SQLITE_FILE: file }, open: () => new SqliteStore({ filename: file }) },
  ...(url
    ? [
        {
          name: "PostgreSQL, SIGKILL in the handler",
          kill: "sigkill" as const,
          env: { STORE: "postgres", DATABASE_URL: url, SCHEMA: schema },
          open: () => new PostgresStore({ connectionString: url, schema }),
        },
      ]
    : []),
];

describe.each(variants)("a poison event among 99 innocent ones ($name)", ({ kill, env, open }) => {
  it("every innocent event succeeds; the poison ends failed with the poison message", { timeout: 120_000 }, async () => {
    const store = open();
    await store.migrate();
    const due = new Date(Date.now() - 1_000);
    const delivery: NewDelivery = {
      id: createId(),
      integration: "acme",
      provider: "test",
      tenantIds: ["t1"],
      receivedAt: due,
      headers: {},
      rawBody: new TextEncoder().encode("{}"),
      dedupeKey: null,
      status: "accepted",
      reason: null,
      response: null,
    };
    const events: NewEvent[] = Array.from({ length: TOTAL }, (_, i) => ({
      id: createId(),
      deliveryId: delivery.id,
      integration: "acme",
      provider: "test",
      tenantId: "t1",
      entityType: "invoice",
      entityId: i === POISON_AT ? "poison" : `inv-${i}`,
      operation: "delete",
      deleted: true,
      occurredAt: due,
      receivedAt: due,
      mode: "delayed",
      status: "queued",
      maxAttempts: 3,
      nextAttemptAt: due,
      nextTrigger: "scheduler",
      payload: {},
    }));
    await store.insertDelivery({ delivery, events });
    await store.close();

    const deaths: (number | string | null)[] = [];
    let handled: string[] = [];
    for (let run = 0; run < 10; run += 1) {
      const child = spawnFixture("poison-worker.ts", { ...env, KILL: kill });
      const done = child.next<{ handled: string[] }>((message) => message.done === true).catch(() => null);
      const exit = await child.exited;
      const report = await done;
      if (report && exit.code === 0) {
        handled = handled.concat(report.handled);
        break;
      }
      deaths.push(exit.signal ?? exit.code);
    }
    // Died on the poison exactly maxAttempts times, then the run that marked it failed finished the rest.
    expect(deaths).toEqual(Array(3).fill(kill === "sigkill" ? "SIGKILL" : 70));

    const check = open();
    await check.migrate();
    const poison = (await check.listEvents({ status: "failed" })).items;
    expect(poison.map((event) => event.entityId)).toEqual(["poison"]);
    expect(poison[0]!.lastError).toBe(poisonMessage({ attemptsStarted: 3, attemptsFinished: 0 }));
    const counts = await check.countEvents({});
    expect(counts.sort((a, b) => a.status.localeCompare(b.status))).toEqual([
      { integration: "acme", status: "failed", count: 1 },
      { integration: "acme", status: "succeeded", count: TOTAL - 1 },
    ]);
    await check.close();
  });
});
