/** Store conformance, section 11. errors: a closed or failing store rejects with a StoreError, never a raw driver error. */
import assert from "node:assert/strict";
import { isWebhookInboxError } from "../../index.ts";
import { at } from "./fixtures.ts";
import type { ConformanceSuite } from "./suite.ts";

export function errorsSection(suite: ConformanceSuite): void {
  const { makeDelivery, insertEvent, claim, describe, it } = suite;
  describe("11. errors", () => {
    it("after close(), calls either still work or reject with a StoreError, never a raw driver error", async () => {
      const event = await insertEvent();
      await suite.store.close();
      suite.markClosed();
      const calls: [string, () => Promise<unknown>][] = [
        ["getEvent", () => suite.store.getEvent(event.id)],
        ["listEvents", () => suite.store.listEvents({})],
        ["insertDelivery", () => suite.store.insertDelivery({ delivery: makeDelivery(), events: [] })],
        ["claimDue", () => claim({ now: at(0) })],
        ["countEvents", () => suite.store.countEvents({})],
      ];
      for (const [method, call] of calls) {
        try {
          await call();
        } catch (error) {
          assert.ok(
            isWebhookInboxError(error) && error.code === "STORE_FAILED",
            `${method} after close() threw something other than a StoreError: ${String(error)}`,
          );
        }
      }
    });
  });
}
