/** Store conformance, section 10. transaction: writes inside a transaction commit or roll back together. */
import assert from "node:assert/strict";
import { at } from "./fixtures.ts";
import type { ConformanceSuite } from "./suite.ts";

export function transactionSection(suite: ConformanceSuite): void {
  const { skip, insertEvent, claimOne, finishInput, mustGetEvent, describe, it } = suite;
  describe("10. transaction", () => {
    it("commits finishAttempts made inside transaction(), rolls them back when fn throws [needs capabilities.transactionalHandler]", async (...context) => {
      if (!suite.store.capabilities.transactionalHandler || !suite.store.transaction) {
        assert.equal(suite.store.capabilities.transactionalHandler, false, "transactionalHandler is set but transaction() is missing");
        skip(context, "store.capabilities.transactionalHandler is false");
        return;
      }
      const event = await insertEvent();
      const claimed = await claimOne(event.id, at(0));
      const boom = new Error("handler failed");
      await assert.rejects(
        suite.store.transaction(async (tx) => {
          assert.deepEqual(await suite.store.finishAttempts([finishInput(claimed)], tx), [true]);
          throw boom;
        }),
        (error) => error === boom,
      );
      const rolledBack = await mustGetEvent(event.id);
      assert.equal(rolledBack.status, "processing");
      assert.deepEqual(rolledBack.attempts, []);

      const value = await suite.store.transaction(async (tx) => {
        assert.deepEqual(await suite.store.finishAttempts([finishInput(claimed)], tx), [true]);
        return "done";
      });
      assert.equal(value, "done");
      assert.equal((await mustGetEvent(event.id)).status, "succeeded");
    });
  });
}
