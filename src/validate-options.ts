// The one path from a zod schema to a WebhookConfigError, for every options object.
import { z } from "zod";
import { WebhookConfigError } from "./errors.ts";

/** How `validateOptions` words its message. */
export interface ValidateOptionsFormat {
  /**
   * `"inline"`: `Invalid <label>: a.b: message; c: message` on one line (suits a short option object).
   * `"pretty"`: `Invalid <label>:` followed by zod's multi-line `prettifyError` listing.
   * @default "inline"
   */
  readonly format?: "inline" | "pretty";
}

/**
 * Validates options once, at construction, the way every part of webhook-inbox does: parses `input`
 * with `schema` and returns the result (defaults applied), or throws a `WebhookConfigError` that names
 * each bad option. Its message starts with `Invalid <label>:`; its `issues` hold `{ path, message }`
 * for each problem, the path dotted and `"(options)"` for the object itself; its `cause` is zod's error.
 * For a host's own store or provider, so a bad option fails with the same error as the built-in ones.
 *
 * @example
 * ```ts
 * const resolved = validateOptions(acmeOptionsSchema, options, "acme() options"); // "Invalid acme() options: apiKey: ..."
 * ```
 */
export function validateOptions<S extends z.ZodType>(schema: S, input: unknown, label: string, settings: ValidateOptionsFormat = {}): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.map(String).join(".") || "(options)", message: issue.message }));
  const details =
    settings.format === "pretty" ? `\n${z.prettifyError(result.error)}` : ` ${issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")}`;
  throw new WebhookConfigError(`Invalid ${label}:${details}`, issues, result.error);
}
