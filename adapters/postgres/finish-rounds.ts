// Finishing a batch in rounds: one UPDATE may touch a row only once, so an event finished twice in
// one batch (a retry racing a pass) goes to a later round.
import type { FinishAttemptInput } from "../../src/index.ts";

export interface FinishSlot {
  readonly input: FinishAttemptInput;
  /** The input's position in the batch, for the result array. */
  readonly index: number;
}

/** Splits a batch into rounds in which each event appears once. */
export function splitByEvent(inputs: readonly FinishAttemptInput[]): FinishSlot[][] {
  const rounds: FinishSlot[][] = [];
  const seen = new Map<string, number>();
  inputs.forEach((input, index) => {
    const round = seen.get(input.eventId) ?? 0;
    seen.set(input.eventId, round + 1);
    (rounds[round] ??= []).push({ input, index });
  });
  return rounds;
}
