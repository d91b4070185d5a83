// Property tests of the internal min-heap: pops come out in order and nothing pushed is lost.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MinHeap } from "../../src/internal/min-heap.js";

type Op = { readonly push: number } | { readonly pop: true };
const op: fc.Arbitrary<Op> = fc.oneof(fc.record({ push: fc.integer({ min: -50, max: 50 }) }), fc.constant({ pop: true as const }));

describe("MinHeap (property)", () => {
  it("for any interleaving of pushes and pops, each pop returns the smallest element held, and draining returns the rest in order", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        // Elements carry an identity so that equal keys are still told apart: nothing lost, nothing duplicated.
        const heap = new MinHeap<{ key: number; id: number }>((a, b) => a.key < b.key);
        const held: { key: number; id: number }[] = [];
        const popped: number[] = [];
        let nextId = 0;
        for (const step of ops) {
          if ("push" in step) {
            const item = { key: step.push, id: nextId++ };
            heap.push(item);
            held.push(item);
          } else {
            const top = heap.pop();
            if (held.length === 0) {
              expect(top).toBeUndefined();
              continue;
            }
            const smallest = Math.min(...held.map((item) => item.key));
            expect(top).toBeDefined();
            expect(top!.key).toBe(smallest);
            const index = held.indexOf(top!);
            expect(index).toBeGreaterThanOrEqual(0);
            held.splice(index, 1);
            popped.push(top!.id);
          }
          expect(heap.size).toBe(held.length);
          expect(heap.peek()?.key).toBe(held.length ? Math.min(...held.map((item) => item.key)) : undefined);
        }
        const drained: { key: number; id: number }[] = [];
        for (let top = heap.pop(); top !== undefined; top = heap.pop()) drained.push(top);
        for (let i = 1; i < drained.length; i++) expect(drained[i]!.key).toBeGreaterThanOrEqual(drained[i - 1]!.key);
        expect(drained.map((item) => item.id).sort((a, b) => a - b)).toEqual(held.map((item) => item.id).sort((a, b) => a - b));
        expect(new Set([...popped, ...drained.map((item) => item.id)]).size).toBe(nextId);
        expect(heap.size).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
