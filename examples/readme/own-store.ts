// README › Writing your own store: run the conformance suite with your test runner.
import * as vitest from "vitest"; // or { describe, it, beforeEach, afterEach } from "node:test"
import { MemoryStore } from "webhook-inbox";
import { describeStoreConformance } from "webhook-inbox/testing";
import { InstrumentedStore } from "../custom-store/instrumented-store.ts";

describeStoreConformance({ name: "MyStore", create: async () => new InstrumentedStore(new MemoryStore()), test: vitest });
