/** SqliteStore's schema steps applied to a file of an earlier version: data kept, the step's change made. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createId } from "webhook-inbox/store-kit";
import { SQLITE_MIGRATIONS, SqliteStore } from "webhook-inbox/sqlite";

let dir = "";
let filename = "";

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "webhook-inbox-sqlite-migrations-"));
  filename = join(dir, "inbox.sqlite");
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A file as the code of schema version `version` left it. */
function fileAtVersion(version: number): void {
  const raw = new Database(filename);
  raw.exec("CREATE TABLE schema_version (version INTEGER PRIMARY KEY) STRICT");
  for (const migration of SQLITE_MIGRATIONS.filter((step) => step.version <= version)) {
    raw.exec(migration.sql);
    raw.prepare("INSERT INTO schema_version (version) VALUES (?)").run(migration.version);
  }
  raw.close();
}

function indexes(): string[] {
  const raw = new Database(filename, { readonly: true });
  try {
    return (
      raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'events' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((row) => row.name);
  } finally {
    raw.close();
  }
}

describe("SqliteStore migrations", () => {
  it("version 6 drops events_due (a prefix of events_claim_order) and keeps the queued events due", async () => {
    fileAtVersion(5);
    expect(indexes()).toContain("events_due");
    const t0 = new Date("2030-01-01T00:00:00.000Z");
    const store = new SqliteStore({ filename });
    const id = createId();
    const deliveryId = createId();
    await store.insertDelivery({
      delivery: {
        id: deliveryId,
        integration: "qbo",
        provider: "test",
        tenantIds: ["realm-1"],
        receivedAt: t0,
        headers: {},
        rawBody: new Uint8Array(),
        dedupeKey: "k",
        status: "accepted",
        reason: null,
        response: null,
      },
      events: [
        {
          id,
          deliveryId,
          integration: "qbo",
          provider: "test",
          tenantId: "realm-1",
          entityType: "Invoice",
          entityId: "1",
          operation: "Update",
          deleted: false,
          occurredAt: t0,
          receivedAt: t0,
          mode: "delayed",
          status: "queued",
          maxAttempts: 3,
          nextAttemptAt: t0,
          nextTrigger: "scheduler",
          payload: {},
        },
      ],
    });
    expect(indexes()).not.toContain("events_due");
    expect(indexes()).toContain("events_claim_order");
    expect(await store.nextDueAt()).toEqual(t0);
    expect((await store.claimDue({ now: t0, limit: 10, leaseMs: 1_000, workerId: "w" })).events.map((event) => event.id)).toEqual([id]);
    await store.close();
  });
});
