/** Store conformance, section 15. sharedState: versioned records and short leases every instance over one database sees. */
import assert from "node:assert/strict";
import type { SharedStateStore, WebhookStore } from "../../index.ts";
import { at } from "./fixtures.ts";
import type { ConformanceSuite } from "./suite.ts";

export function sharedStateSection(suite: ConformanceSuite): void {
  const { skip, describe, it, itWithSibling } = suite;

  /** The store's capability, or a skip when it has none. */
  function shared(context: unknown[], store: WebhookStore = suite.store): SharedStateStore | null {
    if (!store.sharedState) {
      skip(context, "store.sharedState is absent");
      return null;
    }
    return store.sharedState;
  }

  function write(state: SharedStateStore, key: string, value: unknown, seed: { ifVersion?: number; changedBy?: string | null; offsetMs?: number } = {}) {
    return state.writeRecord({
      key,
      value,
      changedAt: at(seed.offsetMs ?? 1_000),
      changedBy: seed.changedBy === undefined ? "alice" : seed.changedBy,
      ...(seed.ifVersion === undefined ? {} : { ifVersion: seed.ifVersion }),
    });
  }

  describe("15. sharedState [needs store.sharedState]", () => {
    it("round-trips a record's JSON value, time and writer, and reads by key prefix in key order", async (...context) => {
      const state = shared(context);
      if (!state) return;
      const value = { mode: "delayed", nested: { list: [1, "two", null], flag: true }, text: "ü ✓" };
      const written = await write(state, "settings:mode:qbo", value);
      assert.deepEqual(written, { key: "settings:mode:qbo", value, version: 1, changedAt: at(1_000), changedBy: "alice" });
      await write(state, "settings:mode:acme", "immediate", { changedBy: null });
      await write(state, "settings:service", true);
      await write(state, "settingsX", 1);
      await write(state, "token:qbo:1", { refreshToken: "r" });
      const read = await state.readRecords({ prefix: "settings:" });
      assert.deepEqual(
        read.map((record) => record.key),
        ["settings:mode:acme", "settings:mode:qbo", "settings:service"],
      );
      assert.deepEqual(read[0], { key: "settings:mode:acme", value: "immediate", version: 1, changedAt: at(1_000), changedBy: null });
      assert.deepEqual(read[1], written);
      assert.deepEqual(await state.readRecords({ prefix: "nothing:" }), []);
    });

    it("counts versions and applies a write with ifVersion only when the stored version matches (0 = absent)", async (...context) => {
      const state = shared(context);
      if (!state) return;
      assert.equal((await write(state, "k", "a", { ifVersion: 0 }))?.version, 1);
      assert.equal(await write(state, "k", "b", { ifVersion: 0 }), null, "ifVersion 0 must refuse an existing key");
      assert.equal(await write(state, "k", "b", { ifVersion: 2 }), null, "a stale ifVersion must change nothing");
      assert.equal(await write(state, "absent", "x", { ifVersion: 1 }), null, "ifVersion > 0 must not create a record");
      const second = await write(state, "k", "b", { ifVersion: 1, offsetMs: 2_000, changedBy: "bob" });
      assert.deepEqual(second, { key: "k", value: "b", version: 2, changedAt: at(2_000), changedBy: "bob" });
      assert.equal((await write(state, "k", "c"))?.version, 3, "a write without ifVersion always applies");
      assert.deepEqual(
        (await state.readRecords({ prefix: "k" })).map((record) => [record.value, record.version]),
        [["c", 3]],
      );
      assert.deepEqual(await state.readRecords({ prefix: "absent" }), []);
    });

    it("lets exactly one of concurrent writers with the same ifVersion win", async (...context) => {
      const state = shared(context);
      if (!state) return;
      await write(state, "race", 0);
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => write(state, "race", i + 1, { ifVersion: 1 })));
      const winners = results.filter((result) => result !== null);
      assert.equal(winners.length, 1);
      assert.deepEqual((await state.readRecords({ prefix: "race" }))[0]?.value, winners[0]!.value);
    });

    it("grants a lease to one holder until it expires or is released, and lets the holder renew it", async (...context) => {
      const state = shared(context);
      if (!state) return;
      const lease = (holder: string, offsetMs: number) => state.acquireLease({ key: "token:qbo:1", holder, now: at(offsetMs), leaseMs: 10_000 });
      assert.equal(await lease("a", 0), true);
      assert.equal(await lease("b", 1_000), false, "a live lease belongs to its holder");
      assert.equal(await lease("a", 5_000), true, "the holder renews (until 15 s now)");
      assert.equal(await lease("b", 12_000), false, "the renewal moved the expiry");
      assert.equal(await lease("b", 15_000), true, "an expired lease goes to the next caller");
      await state.releaseLease({ key: "token:qbo:1", holder: "a" });
      assert.equal(await lease("c", 16_000), false, "releasing someone else's lease does nothing");
      await state.releaseLease({ key: "token:qbo:1", holder: "b" });
      assert.equal(await lease("c", 16_000), true, "a released lease is free at once");
      assert.equal(await state.acquireLease({ key: "token:qbo:2", holder: "b", now: at(16_000), leaseMs: 10_000 }), true, "leases are per key");
    });

    it("grants a contested lease to exactly one of concurrent callers", async (...context) => {
      const state = shared(context);
      if (!state) return;
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => state.acquireLease({ key: "contested", holder: `h${i}`, now: at(0), leaseMs: 10_000 })),
      );
      assert.equal(results.filter(Boolean).length, 1);
    });

    it("calls watchRecords subscribers after a write, and not after unsubscribing [needs sharedState.watchRecords]", async (...context) => {
      const state = shared(context);
      if (!state) return;
      if (!state.watchRecords) {
        skip(context, "store.sharedState.watchRecords is absent (readers re-read on a timer)");
        return;
      }
      let calls = 0;
      let notified: () => void = () => {};
      const unsubscribe = await state.watchRecords(() => {
        calls += 1;
        notified();
      });
      const arrived = new Promise<void>((resolve) => (notified = resolve));
      await write(state, "settings:service", false);
      await withTimeout(arrived, 5_000, "no change notice within 5 s of a write");
      await unsubscribe();
      const before = calls;
      await write(state, "settings:service", true);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(calls, before, "an unsubscribed watcher must not be called");
    });
  });

  describe("15b. sharedState across instances [needs store.sharedState]", () => {
    itWithSibling("shows a record written by one store to its sibling, and refuses the sibling a live lease", async (sibling) => {
      const state = suite.store.sharedState;
      const other = sibling.sharedState;
      if (!state || !other) return;
      await write(state, "settings:mode:qbo", "delayed", { changedBy: "alice" });
      assert.deepEqual(
        (await other.readRecords({ prefix: "settings:" })).map((record) => [record.value, record.changedBy]),
        [["delayed", "alice"]],
      );
      assert.equal(await write(other, "settings:mode:qbo", "direct", { ifVersion: 0 }), null);
      const results = await Promise.all([
        state.acquireLease({ key: "token:x", holder: "a", now: at(0), leaseMs: 10_000 }),
        other.acquireLease({ key: "token:x", holder: "b", now: at(0), leaseMs: 10_000 }),
      ]);
      assert.equal(results.filter(Boolean).length, 1);
    });
  });
}

async function withTimeout(promise: Promise<void>, ms: number, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new assert.AssertionError({ message })), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
