/** Loads the optional bullmq peer lazily, with a clear error when it is not installed. */
import { createRequire } from "node:module";
import { WebhookConfigError } from "../../src/index.ts";

/** The parts of bullmq the scheduler uses. */
export type BullMQModule = typeof import("bullmq");

let loaded: BullMQModule | undefined;

/**
 * Loads bullmq, an optional peer dependency, on first use rather than at import time, so the message
 * for a missing install is ours. `createRequire(import.meta.url)` works in the CJS build too, because
 * tsup's `shims: true` fills in `import.meta.url` there.
 */
export function loadBullMQ(): BullMQModule {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)("bullmq") as BullMQModule;
    return loaded;
  } catch (cause) {
    throw new WebhookConfigError("BullMQScheduler needs the optional dependency bullmq: npm install bullmq", [], cause);
  }
}
