/**
 * Group insert of deliveries into PostgreSQL with de-duplication: a group is stored in as few
 * statements as possible, a dedupe key used twice (in the group or already in the table) turns the
 * later delivery into a `duplicate` row pointing at the holder, and every caller gets its own outcome.
 */
import { StoreError, type InsertDeliveryResult, type NewDelivery, type NewEvent } from "../../src/index.ts";
import type { Settled } from "../../src/store-kit/index.ts";
import type { StatementRunner } from "./named-query.ts";
import type { Queries } from "./queries.ts";
import { deliveryParams, eventParams, type Row } from "./rows.ts";

/** Rounds to settle a dedupe key whose holder vanished (pruned) between insert and lookup. */
const DEDUPE_ROUNDS = 3;

/** One `insertDelivery` call waiting in a group. */
export interface InsertInput {
  readonly delivery: NewDelivery;
  readonly events: readonly NewEvent[];
}

/** One group of deliveries, in as few statements as possible; each caller gets its own outcome. */
export async function insertGroup(pool: StatementRunner, sql: Queries, inputs: readonly InsertInput[]): Promise<Settled<InsertDeliveryResult>[]> {
  try {
    return await insertTogether(pool, sql, inputs);
  } catch (error) {
    if (inputs.length === 1) return [{ ok: false, error }];
    // Nothing was committed. One bad delivery (say a payload jsonb rejects) must not fail its
    // neighbours: store each on its own.
    return Promise.all(
      inputs.map(async (input): Promise<Settled<InsertDeliveryResult>> => {
        try {
          return (await insertTogether(pool, sql, [input]))[0]!;
        } catch (singleError) {
          return { ok: false, error: singleError };
        }
      }),
    );
  }
}

/**
 * Inserts a group. Throws only when nothing was committed. A dedupe key used twice in the group,
 * or already held in the table, turns the later delivery into a `duplicate` row pointing at the
 * holder (stored by a second statement, after the holder is known).
 */
async function insertTogether(pool: StatementRunner, sql: Queries, inputs: readonly InsertInput[]): Promise<Settled<InsertDeliveryResult>[]> {
  const results: Settled<InsertDeliveryResult>[] = new Array(inputs.length);
  let pending = inputs.map((input, index) => ({ input, index }));
  for (let round = 0; pending.length > 0; round += 1) {
    if (round === DEDUPE_ROUNDS) {
      const error = new StoreError("postgres", "insertDelivery could not settle a contended dedupe key");
      for (const { index } of pending) results[index] = { ok: false, error };
      break;
    }
    // Leaders: the first delivery of each key (and every keyless one); followers repeat a leader's key.
    const leaders: typeof pending = [];
    const followers: typeof pending = [];
    const leaderByKey = new Map<string, (typeof pending)[number]>();
    for (const item of pending) {
      const key = item.input.delivery.dedupeKey;
      if (key !== null && leaderByKey.has(key)) followers.push(item);
      else {
        if (key !== null) leaderByKey.set(key, item);
        leaders.push(item);
      }
    }
    const deliveries = deliveryParams(
      leaders.map(({ input }) => ({
        delivery: input.delivery,
        overrides: { dedupeKey: input.delivery.dedupeKey, status: input.delivery.status, duplicateOf: null, eventCount: input.events.length },
      })),
    );
    const events = eventParams(leaders.flatMap(({ input }) => input.events.map((event) => ({ owner: input.delivery.id, event }))));
    let inserted: Set<string>;
    try {
      const { rows } = await pool.run(sql.insertGroup, [...deliveries, ...events]);
      inserted = new Set(((rows[0] as Row | undefined)?.ids as string[] | undefined) ?? []);
    } catch (error) {
      if (round === 0) throw error;
      for (const { index } of pending) results[index] = { ok: false, error };
      break;
    }
    for (const { input, index } of leaders) {
      if (inserted.has(input.delivery.id)) results[index] = { ok: true, value: { status: "inserted", deliveryId: input.delivery.id } };
    }
    // Keys held elsewhere: find the holders (committed by now: ON CONFLICT waited for them).
    const contested = leaders.filter(({ input }) => !inserted.has(input.delivery.id)).map(({ input }) => input.delivery.dedupeKey!);
    const holders = new Map<string, string>();
    if (contested.length > 0) {
      try {
        const { rows } = await pool.run(sql.dedupeHolders, [contested]);
        for (const row of rows as Row[]) holders.set(row.dedupe_key as string, row.id as string);
      } catch (error) {
        for (const { input, index } of pending) {
          if (!inserted.has(input.delivery.id)) results[index] = { ok: false, error };
        }
        break;
      }
    }
    const duplicates: { item: (typeof pending)[number]; original: string }[] = [];
    const next: typeof pending = [];
    for (const item of [...leaders, ...followers]) {
      if (inserted.has(item.input.delivery.id)) continue;
      const key = item.input.delivery.dedupeKey!;
      const leader = leaderByKey.get(key)!;
      const original = inserted.has(leader.input.delivery.id) ? leader.input.delivery.id : holders.get(key);
      // No holder: it was deleted between the insert and the lookup; try again as new.
      if (original === undefined) next.push(item);
      else duplicates.push({ item, original });
    }
    if (duplicates.length > 0) {
      const rows = deliveryParams(
        duplicates.map(({ item, original }) => ({
          delivery: item.input.delivery,
          overrides: { dedupeKey: null, status: "duplicate", duplicateOf: original, eventCount: 0 },
        })),
      );
      try {
        await pool.run(sql.insertDuplicates, rows);
        for (const { item, original } of duplicates) {
          results[item.index] = {
            ok: true,
            value: { status: "duplicate", deliveryId: item.input.delivery.id, duplicateOf: original },
          };
        }
      } catch (error) {
        for (const { item } of duplicates) results[item.index] = { ok: false, error };
      }
    }
    pending = next.sort((a, b) => a.index - b.index);
  }
  return results;
}
