/**
 * Child process that drains a store with webhook-inbox: the instant provider (no network, no limits)
 * and a no-op handler, so what is measured is the inbox and its store from claim to completion.
 * Arguments: `<memory|sqlite|postgres> <schema|filename|-> <events to load here> [--memory]`.
 * Protocol: `ready` (after loading; with memory figures under --memory), then `go` → `done`
 * ({ ms, succeeded, peak figures }), then `stop`.
 */
import { createWebhookInbox } from "../src/index.ts";
import { fromParent, runChild, toParent } from "./lib/child.ts";
import { instantProvider } from "./lib/instant-provider.ts";
import { startProfile, stopProfile } from "./lib/profile.ts";
import { LOADED_INTEGRATION, loadEvents } from "./lib/load-events.ts";
import { silentLogger } from "./lib/silent-logger.ts";
import { openStore, type StoreKind } from "./lib/stores.ts";

/** Heap and RSS after a full collection (when --expose-gc is on), in MiB. */
function settledMemory(): { rssMiB: number; heapUsedMiB: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return { rssMiB: usage.rss / 2 ** 20, heapUsedMiB: usage.heapUsed / 2 ** 20 };
}

runChild(async () => {
  const [kind, location, loadArg] = process.argv.slice(2) as [StoreKind, string, string];
  const measureMemory = process.argv.includes("--memory");
  const bench = openStore(kind, kind === "postgres" ? { schema: location } : kind === "sqlite" ? { filename: location } : {});
  const provider = instantProvider();
  const inbox = createWebhookInbox({
    store: bench.store,
    logger: silentLogger,
    integrations: { [LOADED_INTEGRATION]: { provider, mode: "delayed" } },
    handler: async () => {},
  });
  await bench.store.migrate();
  const before = settledMemory();
  const load = Number(loadArg);
  const loadStarted = performance.now();
  if (load > 0) await loadEvents(bench.store, load);
  const loadMs = performance.now() - loadStarted;
  const queued = measureMemory ? settledMemory() : null;
  toParent({ type: "ready", before, queued, loadMs });

  await fromParent("go");
  // Peak memory while draining: every 100 ms (and at the end) a full GC, then the live heap and RSS. Collecting first
  // measures what the process holds (claimed pages, caches), not garbage waiting to be collected.
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    (globalThis as { gc?: () => void }).gc?.();
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  };
  const sampler = measureMemory ? setInterval(sample, 100) : null;
  await startProfile();
  const started = performance.now();
  await inbox.drain();
  const ms = performance.now() - started;
  await stopProfile(`drain-${kind}-${load > 0 ? load : "shared"}-${process.pid}`);
  if (sampler) {
    clearInterval(sampler);
    sample();
  }
  const counts = await inbox.countEvents();
  const succeeded = counts.filter((row) => row.status === "succeeded").reduce((sum, row) => sum + row.count, 0);
  const after = measureMemory ? settledMemory() : null;
  toParent({
    type: "done",
    ms,
    succeeded,
    fetchCalls: provider.counters.calls,
    fetchedIds: provider.counters.ids,
    peakRssMiB: peakRss / 2 ** 20,
    peakHeapMiB: peakHeap / 2 ** 20,
    after,
  });
  await fromParent("stop");
  await inbox.stop();
  // The bench owns the data (several workers share one schema): close without removing it.
  await bench.dispose({ keep: true });
  process.disconnect?.();
});
