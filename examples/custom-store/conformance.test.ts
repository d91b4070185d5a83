/**
 * Runs the store conformance suite against the skeleton with node's own test runner (vitest and jest
 * work the same way: pass their describe/it/beforeEach/afterEach).
 *
 * Run: node --import tsx --test examples/custom-store/conformance.test.ts
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import { MemoryStore } from "webhook-inbox";
import { describeStoreConformance } from "webhook-inbox/testing";
import { InstrumentedStore } from "./instrumented-store.ts";

describeStoreConformance({
  name: "InstrumentedStore over MemoryStore",
  create: async () => new InstrumentedStore(new MemoryStore()),
  test: { describe, it, beforeEach, afterEach },
});
