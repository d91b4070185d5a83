import { z } from "zod";
import { WebhookPayloadError } from "../../src/index.ts";
import { quickText } from "../../src/provider-kit/index.ts";

/**
 * Ids and realm ids are strings in Intuit's samples. A JSON number is accepted only while it is
 * exact: 16-digit realm ids exceed 2^53 and would silently become another realm.
 */
export const idText = z.union([
  z.string().trim().min(1, { error: "must be a non-empty string" }),
  z
    .number()
    .refine((value) => Number.isSafeInteger(value) && value >= 0, {
      error: "must be a string (this number cannot be represented exactly)",
    })
    .transform(String),
]);

/** Turns the first zod issue into a WebhookPayloadError naming the path, e.g. `eventNotifications[0].realmId`. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, format: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue === undefined ? "" : formatPath(issue.path);
  const message = issue === undefined ? "is invalid" : describeIssue(issue, valueAt(value, issue.path));
  throw new WebhookPayloadError(`quickbooks ${format} payload: ${path === "" ? "body" : path} ${message}`, result.error);
}

/** The reason one entry fails `schema`, with its path under `prefix`; undefined when it passes. */
export function entryProblem<T extends z.ZodType>(schema: T, value: unknown, prefix: readonly PropertyKey[]): { data: z.output<T> } | { reason: string } {
  const result = schema.safeParse(value);
  if (result.success) return { data: result.data };
  const issue = result.error.issues[0];
  const path = formatPath([...prefix, ...(issue?.path ?? [])]);
  return { reason: `${path} ${issue === undefined ? "is invalid" : describeIssue(issue, valueAt(value, issue.path))}` };
}

/** A short reason: "is missing", "must be an array", or the schema's own message. */
export function describeIssue(issue: z.core.$ZodIssue, actual: unknown): string {
  if (actual === undefined) return "is missing";
  if (issue.code === "invalid_type") return `must be ${article(issue.expected)}`;
  if (issue.code === "invalid_union") {
    const specific = issue.errors.flat().find((inner) => inner.code !== "invalid_type");
    if (specific !== undefined) return specific.message;
    const expected = issue.errors.flat().map((inner) => (inner.code === "invalid_type" ? inner.expected : "value"));
    return `must be ${[...new Set(expected)].map(article).join(" or ")}`;
  }
  return issue.message;
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** The value at a zod path in the input (to tell "missing" from "wrong type"). */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** `eventNotifications[0].realmId` style. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text === "" ? String(key) : `.${String(key)}`;
  }
  return text;
}

// Fast checks of the valid shape, on the hot path of every webhook. Each returns what its zod schema
// would output, or `undefined` whenever it is not sure; the caller then runs the schema, which accepts
// or words the error exactly as before. So they only ever decide the easy "valid" answer.

/** `idText`'s output, or undefined (zod decides). */
export function quickIdText(value: unknown): string | undefined {
  if (typeof value === "string") return quickText(value);
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? String(value) : undefined;
}
