// Fast shape checks for a provider's parser, on the hot path of every webhook. Each gives what the
// matching zod schema would output, or says "not sure" (undefined / false): the parser then runs the
// schema, which accepts or words the error. So they only ever decide the easy "valid" answer.

/** What zod's object schemas (`z.object`, `z.looseObject`) accept as an object: not null, not an array. */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `z.string().trim().min(1)`'s output, or undefined when the schema must decide. */
export function quickText(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}
