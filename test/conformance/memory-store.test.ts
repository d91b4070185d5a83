import * as vitest from "vitest";
import { MemoryStore } from "webhook-inbox";
import { describeStoreConformance } from "webhook-inbox/testing";

describeStoreConformance({ name: "MemoryStore", create: async () => new MemoryStore(), test: vitest });
