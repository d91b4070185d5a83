/**
 * The `WebhookStore` conformance suite: one describe block per numbered section of the contract
 * (each in its own file under store-conformance/), run against a fresh store before every test.
 */
import type { StoreConformanceOptions } from "./store-conformance/api.ts";
import { insertDeliverySection } from "./store-conformance/01-insert-delivery.ts";
import { updateDeliverySection } from "./store-conformance/02-update-delivery.ts";
import { claimDueSection } from "./store-conformance/03-claim-due.ts";
import { oneClaimerPerEntitySection } from "./store-conformance/03b-one-claimer-per-entity.ts";
import { groupClaimsSection } from "./store-conformance/03c-group-claims.ts";
import { poisonEventsSection } from "./store-conformance/04-poison-events.ts";
import { startedAttemptsSection } from "./store-conformance/04b-started-attempts.ts";
import { finishAttemptsSection } from "./store-conformance/05-finish-attempts.ts";
import { watermarksSection } from "./store-conformance/06-watermarks.ts";
import { requeueSection } from "./store-conformance/07-requeue.ts";
import { queriesSection } from "./store-conformance/08-queries.ts";
import { pruneSection } from "./store-conformance/09-prune.ts";
import { transactionSection } from "./store-conformance/10-transaction.ts";
import { errorsSection } from "./store-conformance/11-errors.ts";
import { reconciliationSection } from "./store-conformance/12-reconciliation.ts";
import { rateBudgetSection } from "./store-conformance/13-rate-budget.ts";
import { downloadSequenceSection } from "./store-conformance/14-download-sequence.ts";
import { sharedStateSection } from "./store-conformance/15-shared-state.ts";
import { type ConformanceSuite, createConformanceSuite } from "./store-conformance/suite.ts";

export type { ConformanceTestApi, ConformanceTestBody, StoreConformanceOptions } from "./store-conformance/api.ts";

/** The sections, in the contract's order; a new section adds its file and one line here. */
const SECTIONS: readonly ((suite: ConformanceSuite) => void)[] = [
  insertDeliverySection,
  updateDeliverySection,
  claimDueSection,
  oneClaimerPerEntitySection,
  groupClaimsSection,
  poisonEventsSection,
  startedAttemptsSection,
  finishAttemptsSection,
  watermarksSection,
  requeueSection,
  queriesSection,
  pruneSection,
  transactionSection,
  errorsSection,
  reconciliationSection,
  rateBudgetSection,
  downloadSequenceSection,
  sharedStateSection,
];

/**
 * Registers the `WebhookStore` contract as tests. A store is done when its test file calls this
 * unmodified. Tests that need a capability the store lacks are skipped, and their titles say which.
 *
 * @example
 * ```ts
 * import * as vitest from "vitest";
 * import { MemoryStore } from "webhook-inbox";
 * import { describeStoreConformance } from "webhook-inbox/testing";
 *
 * describeStoreConformance({ name: "MemoryStore", create: async () => new MemoryStore(), test: vitest });
 * ```
 */
export function describeStoreConformance(options: StoreConformanceOptions): void {
  const { describe, beforeEach, afterEach } = options.test;
  const suite = createConformanceSuite(options);
  describe(`WebhookStore conformance: ${options.name}`, () => {
    beforeEach(suite.setUp);
    afterEach(suite.tearDown);
    for (const section of SECTIONS) section(suite);
  });
}
