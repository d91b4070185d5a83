/** Store conformance: the runner-facing types a host passes in (its test functions, its store factory). */
import type { WebhookStore } from "../../index.ts";

/** A test body; rest parameters keep `length === 0`, so jest never mistakes it for a `done`-callback test. */
export type ConformanceTestBody = (...context: unknown[]) => Promise<void> | void;

/**
 * The test-runner functions the suite registers its tests with. vitest, jest and node:test all fit:
 * pass the runner's own module (`import * as vitest from "vitest"`) or `{ describe, it, beforeEach, afterEach }`.
 */
export interface ConformanceTestApi {
  describe(name: string, fn: () => void): unknown;
  it: ((name: string, fn: ConformanceTestBody) => unknown) & {
    /** Used, when present, for tests that cannot run with the given options. */
    skip?: (name: string, fn: ConformanceTestBody) => unknown;
  };
  beforeEach(fn: () => Promise<void>): unknown;
  afterEach(fn: () => Promise<void>): unknown;
}

/** Options of {@link describeStoreConformance}. */
export interface StoreConformanceOptions {
  /** Title of the describe() block, e.g. "PostgresStore". */
  name: string;
  /**
   * Returns a store over an EMPTY database (the suite calls `migrate()` itself, twice). Called before
   * every test, so the contract needs no truncate/reset method: `new MemoryStore()`, a temp SQLite
   * file, a fresh PostgreSQL schema.
   */
  create(): Promise<WebhookStore>;
  /** Optional second store over the SAME database as the last `create()`, to play "another process". */
  createSibling?(): Promise<WebhookStore>;
  /** Removes what `create()` made (schema, file). The suite closes its stores first. */
  dispose?(): Promise<void>;
  /** The host's test runner. */
  test: ConformanceTestApi;
}
