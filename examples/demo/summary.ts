import type { EventCount, EventSummary } from "webhook-inbox";

/** What the demo observed. */
export interface DemoFacts {
  sent: number;
  statuses: Map<number, number>;
  duplicatesSent: number;
  duplicatesLogged: number;
  counts: EventCount[];
  entities: number;
  handlerCalls: number;
  providerCalls: { quickbooks: number; xero: number };
  throttled: number;
  rateLimitedAttempts: number;
  outOfOrderStatuses: string[];
  failed: readonly EventSummary[];
}

const sum = (counts: EventCount[], status?: string) => counts.filter((row) => !status || row.status === status).reduce((total, row) => total + row.count, 0);

/** Prints the summary; with a dashboard URL (not under --exit), the invitation to open it. */
export function printSummary(facts: DemoFacts, dashboardUrl: string | null): void {
  const events = sum(facts.counts);
  const calls = facts.providerCalls.quickbooks + facts.providerCalls.xero;
  const acknowledged = [...facts.statuses].filter(([status]) => status < 300).reduce((total, [, n]) => total + n, 0);
  const rows: [string, string][] = [
    ["webhooks sent / acknowledged (2xx)", `${facts.sent} / ${acknowledged}`],
    ["duplicates resent / recognised", `${facts.duplicatesSent} / ${facts.duplicatesLogged}`],
    ["events (one per entity change)", `${events} over ${facts.entities} entities`],
    ["  succeeded", String(sum(facts.counts, "succeeded"))],
    ["  stale (skipped: newer data applied)", String(sum(facts.counts, "stale"))],
    ["  failed (left for manual retry)", String(sum(facts.counts, "failed"))],
    ["handler calls", String(facts.handlerCalls)],
    [
      "provider API calls (QuickBooks + Xero)",
      `${calls} (${facts.providerCalls.quickbooks} + ${facts.providerCalls.xero}) for ${events} events: ${(events / Math.max(1, calls)).toFixed(1)} events per call`,
    ],
    ["429 answers from the provider APIs (waited out, no attempt spent)", String(facts.throttled)],
    ["out-of-order pair", facts.outOfOrderStatuses.join(" + ")],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log("\nSummary");
  for (const [label, value] of rows) console.log(`  ${label.padEnd(width)}  ${value}`);
  for (const event of facts.failed) {
    console.log(`  failed: ${event.integration} ${event.entityType} ${event.entityId} (tenant ${event.tenantId}): ${event.lastError}`);
  }
  if (dashboardUrl) console.log(`\nDashboard: ${dashboardUrl}  (open an event, read its Attempts and Resource Data, press Retry)`);
}

/** What the scenario must produce; each broken promise is one line. */
export function checkOutcome(facts: DemoFacts): string[] {
  const problems: string[] = [];
  const acknowledged = [...facts.statuses].filter(([status]) => status < 300).reduce((total, [, n]) => total + n, 0);
  if (acknowledged !== facts.sent) problems.push(`${facts.sent - acknowledged} webhook(s) were not acknowledged: ${JSON.stringify([...facts.statuses])}`);
  if (facts.duplicatesLogged !== facts.duplicatesSent) problems.push(`${facts.duplicatesSent} resends but ${facts.duplicatesLogged} recognised as duplicates`);
  const open = sum(facts.counts) - sum(facts.counts, "succeeded") - sum(facts.counts, "stale") - sum(facts.counts, "failed");
  if (open !== 0) problems.push(`${open} event(s) never reached a final status`);
  if (sum(facts.counts, "failed") !== 1) problems.push(`expected exactly 1 failed event (the invoice the host rejects), saw ${sum(facts.counts, "failed")}`);
  if (sum(facts.counts, "stale") < 1) problems.push("no event was skipped as stale");
  if (facts.outOfOrderStatuses.join(",") !== "stale,succeeded")
    problems.push(`the out-of-order pair ended ${facts.outOfOrderStatuses.join(",")}, not stale + succeeded`);
  if (facts.throttled < 1 || facts.rateLimitedAttempts < 1) problems.push("the Xero tenant's 429s were not met and waited out");
  const calls = facts.providerCalls.quickbooks + facts.providerCalls.xero;
  if (calls >= sum(facts.counts) / 4) problems.push(`${calls} provider calls for ${sum(facts.counts)} events: batching did not work`);
  if (facts.handlerCalls < facts.entities) problems.push(`handler ran ${facts.handlerCalls} times for ${facts.entities} entities`);
  return problems;
}
