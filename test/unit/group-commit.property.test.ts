// Property tests of the group committer both stores use: every caller gets its own result, whatever the interleaving.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GroupCommitter } from "webhook-inbox/store-kit";

/**
 * What the commit does with an item: commit it, fail it alone, fail its whole group (the transaction
 * throws), or return no outcome for it and everything after it in the group (a short result).
 */
type Fate = "ok" | "fail" | "poison" | "short";
interface Item {
  readonly id: number;
  readonly fate: Fate;
}
type Step = "submit" | "microtask" | "macrotask";
type Outcome = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly error: unknown };

const fate = fc.constantFrom<Fate>("ok", "ok", "ok", "fail", "poison", "short");
const scenario = fc.record({
  steps: fc.array(fc.constantFrom<Step>("submit", "submit", "microtask", "macrotask"), { minLength: 1, maxLength: 40 }),
  fates: fc.array(fate, { minLength: 1, maxLength: 40 }),
  /** Event-loop turns each commit takes, used in turn. */
  commitTurns: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }),
  maxBatch: fc.integer({ min: 1, max: 6 }),
  maxWaitMs: fc.constantFrom(0, 1),
  maxInFlight: fc.integer({ min: 1, max: 3 }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A real commit function over the items' fates, recording each group it is handed. */
function recordingCommit(s: Scenario) {
  const groups: { ids: number[]; returned: boolean; error: Error | null }[] = [];
  let running = 0;
  let mostRunning = 0;
  const commit = async (inputs: readonly Item[]): Promise<Outcome[]> => {
    const group = { ids: inputs.map((item) => item.id), returned: false, error: null as Error | null };
    groups.push(group);
    running += 1;
    mostRunning = Math.max(mostRunning, running);
    try {
      for (let i = s.commitTurns[(groups.length - 1) % s.commitTurns.length]!; i > 0; i--) await turn();
      if (inputs.some((item) => item.fate === "poison")) {
        group.error = new Error(`group ${groups.length - 1} rolled back`);
        throw group.error;
      }
      const shortAt = inputs.findIndex((item) => item.fate === "short");
      const outcomes = inputs.map<Outcome>((item) =>
        item.fate === "ok" ? { ok: true, value: `value of ${item.id}` } : { ok: false, error: new Error(`error of ${item.id}`) },
      );
      return shortAt === -1 ? outcomes : outcomes.slice(0, shortAt);
    } finally {
      group.returned = true;
      running -= 1;
    }
  };
  return { commit, groups, mostRunning: () => mostRunning };
}

interface Settlement {
  readonly item: Item;
  result?: { ok: true; value: unknown } | { ok: false; error: unknown };
  /** Whether the group holding this item had returned from its commit when the caller was settled. */
  afterCommit?: boolean;
}

/** Runs the scenario's interleaving of submissions against `submit`, then `drain`, and checks every caller's result. */
async function exercise(
  s: Scenario,
  submit: (item: Item) => Promise<unknown>,
  drain: () => Promise<void>,
  groups: ReturnType<typeof recordingCommit>["groups"],
) {
  const settlements: Settlement[] = [];
  let nextId = 0;
  for (const step of s.steps) {
    if (step === "microtask") await Promise.resolve();
    else if (step === "macrotask") await turn();
    else {
      const item: Item = { id: nextId++, fate: s.fates[nextId % s.fates.length]! };
      const settlement: Settlement = { item };
      settlements.push(settlement);
      const groupReturned = () => groups.find((group) => group.ids.includes(item.id))?.returned === true;
      submit(item).then(
        (value) => Object.assign(settlement, { result: { ok: true, value }, afterCommit: groupReturned() }),
        (error: unknown) => Object.assign(settlement, { result: { ok: false, error }, afterCommit: groupReturned() }),
      );
    }
  }
  await drain();
  await turn();

  // Every submission went into exactly one group, in submission order, and no group was larger than allowed.
  expect(groups.flatMap((group) => group.ids)).toEqual(settlements.map((settlement) => settlement.item.id));
  for (const group of groups) {
    expect(group.ids.length).toBeGreaterThanOrEqual(1);
    expect(group.ids.length).toBeLessThanOrEqual(s.maxBatch);
  }

  // Every caller was settled, only after its group's commit returned, with exactly its own result.
  for (const { item, result, afterCommit } of settlements) {
    expect(result, `item ${item.id} settled`).toBeDefined();
    expect(afterCommit).toBe(true);
    const group = groups.find((candidate) => candidate.ids.includes(item.id))!;
    const members = group.ids.map((id) => settlements[id]!.item);
    const shortAt = members.findIndex((member) => member.fate === "short");
    const index = group.ids.indexOf(item.id);
    if (group.error) expect(result).toEqual({ ok: false, error: group.error });
    else if (shortAt !== -1 && index >= shortAt) {
      expect(result!.ok).toBe(false);
      expect(String((result as { error: unknown }).error)).toMatch(/no (outcome|result)/);
    } else if (item.fate === "ok") expect(result).toEqual({ ok: true, value: `value of ${item.id}` });
    else {
      expect(result!.ok).toBe(false);
      expect((result as { error: Error }).error.message).toBe(`error of ${item.id}`);
    }
  }
}

describe("group committers (property)", () => {
  it("GroupCommitter: for any interleaving, each caller gets its own value or error; a group whose commit throws rejects all its callers, and only them; never more groups committing at once than maxInFlight", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const recorder = recordingCommit(s);
        const committer = new GroupCommitter<Item, string>(recorder.commit, {
          maxBatch: s.maxBatch,
          maxWaitMs: s.maxWaitMs,
          maxInFlight: s.maxInFlight,
        });
        await exercise(
          s,
          (item) => committer.submit(item),
          () => committer.drain(),
          recorder.groups,
        );
        expect(recorder.mostRunning()).toBeLessThanOrEqual(s.maxInFlight);
      }),
      { numRuns: 150 },
    );
  });
});
