/**
 * 2b. Provider calls at scale: one large backlog (shuffled changes, 1–10 per webhook, over several
 * providers, tenants and types) stored, then drained at the default options by every store. Group
 * claims fill every provider call across the backlog, so calls / minimum should be 1.00 for each.
 */
import type { startRelaxedFakes } from "./lib/fakes.ts";
import { relaxedQuickBooks, seed, xeroAgainst } from "./lib/fakes.ts";
import { fmt, type ResultRow } from "./lib/report.ts";
import { STORE_KINDS, openStore } from "./lib/stores.ts";
import { changeSchedule, groupCounts, makeEntities, shuffledWebhooks } from "./lib/workload.ts";
import { drainWithInbox, minimumCalls, type InboxRun } from "./provider-calls.ts";

/** Stores, drains and measures the backlog once per store; scenario failures go to `failures`. */
export async function drainBacklogEveryStore(
  fakes: Awaited<ReturnType<typeof startRelaxedFakes>>,
  size: { readonly changes: number; readonly entities: number },
  failures: string[],
): Promise<{ rows: ResultRow[]; raw: unknown }> {
  const entities = makeEntities(size.entities, { qboRealms: 3, xeroTenants: 3 });
  seed(fakes, entities);
  const providers = { quickbooks: relaxedQuickBooks(fakes.qbo), xero: xeroAgainst(fakes.xero) };
  const minimum = minimumCalls(entities, providers);
  const groups = groupCounts(entities).size;
  const webhooks = shuffledWebhooks(changeSchedule(entities, size.changes));
  const rows: ResultRow[] = [];
  const runs: (InboxRun & { store: string })[] = [];
  for (const kind of STORE_KINDS) {
    const opened = openStore(kind);
    try {
      const run = await drainWithInbox(fakes, "shuffled", webhooks, undefined, opened.store);
      runs.push({ ...run, store: kind });
      const where = `${kind}, ${fmt(size.changes)}-change backlog, default options`;
      console.log(`  provider calls, ${where}: ${run.calls} calls (minimum ${minimum}) in ${run.passes} passes, ${run.seconds.toFixed(1)} s`);
      if (run.other > 0 || run.succeeded + run.stale !== size.changes) {
        failures.push(`provider calls (${where}): ${run.other} events not finished (${run.succeeded} succeeded, ${run.stale} stale of ${size.changes})`);
      }
      if (run.throttled > 0) failures.push(`provider calls (${where}): ${run.throttled} throttled calls with the limits lifted`);
      rows.push({
        section: "2 provider calls",
        variant: `${kind} store, default options (claimBatchSize 500): ${fmt(size.changes)} changes over ${fmt(size.entities)} entities in ${groups} groups, shuffled, 1–10 per webhook`,
        figure: `${fmt(run.calls)} calls / minimum ${fmt(minimum)} (${run.passes} passes, drained in ${run.seconds.toFixed(1)} s)`,
        ratio: run.calls / minimum,
        target: "= 1.00",
        met: run.calls === minimum,
      });
    } finally {
      await opened.dispose();
    }
  }
  return { rows, raw: { changes: size.changes, entities: size.entities, groups, minimum, webhooks: webhooks.length, runs } };
}
