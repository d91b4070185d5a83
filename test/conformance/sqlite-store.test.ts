import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vitest from "vitest";
import { SqliteStore } from "webhook-inbox/sqlite";
import { describeStoreConformance } from "webhook-inbox/testing";

let dir = "";

describeStoreConformance({
  name: "SqliteStore",
  create: async () => {
    dir = mkdtempSync(join(tmpdir(), "webhook-inbox-sqlite-"));
    return new SqliteStore({ filename: join(dir, "inbox.sqlite") });
  },
  dispose: async () => {
    rmSync(dir, { recursive: true, force: true });
  },
  test: vitest,
});
