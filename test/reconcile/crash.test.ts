import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteStore } from "webhook-inbox/sqlite";
import { startFakeQuickBooks } from "webhook-inbox/testing";
import { spawnFixture } from "../durability/fixtures/child-process.ts";

const REALM = "4620816365000000001";
const file = join(tmpdir(), `reconcile-crash-${process.pid}-${Date.now()}.sqlite`);
afterAll(() => {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
});

describe("SIGKILL mid-reconciliation, then restart", () => {
  it("skips nothing and applies no version twice", { timeout: 60_000 }, async () => {
    const qbo = await startFakeQuickBooks();
    try {
      // 2,500 changes, a few milliseconds apart: three CDC answers; the process dies holding the second call.
      for (let index = 1; index <= 2_500; index += 1) {
        qbo.records.set(REALM, "Invoice", String(index), { TotalAmt: index });
        if (index % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const env = { FILE: file, QBO_URL: qbo.url, REALM };
      const first = spawnFixture("../../reconcile/fixtures/reconcile-worker.ts", { ...env, PAUSE_AT_CDC: "2" });
      await first.next((message) => message.cdc === 2);
      first.process.kill("SIGKILL");
      expect((await first.exited).signal).toBe("SIGKILL");

      const second = spawnFixture("../../reconcile/fixtures/reconcile-worker.ts", env);
      await second.next((message) => message.done === true);
      await second.exited;

      const db = new Database(file, { readonly: true });
      const rows = db.prepare("SELECT entity_id, version FROM applied").all() as { entity_id: string; version: string }[];
      db.close();
      const byEntity = new Map(rows.map((row) => [row.entity_id, row.version]));
      expect(byEntity.size).toBe(2_500); // nothing skipped
      expect(rows.length).toBe(2_500); // no entity applied twice
      const store = new SqliteStore({ filename: file });
      expect(await store.countEvents({ status: "failed" })).toEqual([]);
      const runs = await store.reconciliation.listRuns({});
      expect(runs[0]).toMatchObject({ status: "succeeded" });
      expect(runs.some((run) => run.status === "running")).toBe(true); // the run that died mid-way
      await store.close();
    } finally {
      await qbo.close();
    }
  });
});
