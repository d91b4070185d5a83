// Verify-and-parse for hosts that write their own receiver: raw body, headers and secret in; the parsed delivery out, or a typed error.
import { z } from "zod";
import type { ParsedDelivery, ProviderRequest } from "../contracts/provider-adapter.ts";
import { validateOptions } from "../validate-options.ts";

/** The request body exactly as received: a string, a Buffer/Uint8Array, or an ArrayBuffer (never a parsed object). */
export type WebhookBody = string | Uint8Array | ArrayBuffer;

/** Request headers as frameworks hand them over: a Fetch `Headers`, or Node's / a plain record (any case, arrays joined). */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/** What every provider's `verifyAndParse` takes, besides its secret. */
export interface VerifyAndParseInput {
  /** The raw body, before any JSON parsing: the signature is over these exact bytes. */
  readonly body: WebhookBody;
  readonly headers: WebhookHeaders;
  /** When the request arrived: the time of a change whose body names none. @default now */
  readonly receivedAt?: Date;
}

/** How one provider verifies and parses, for `verifyAndParseWith`. */
export interface VerifyAndParseSpec<Secret extends string> {
  /** Names the call in a `WebhookConfigError` (`"quickbooks.verifyAndParse() input"`). */
  readonly label: string;
  /** The secret's option name (`verifierToken`, `webhookKey`). */
  readonly secretOption: Secret;
  /** Throws `WebhookVerificationError` when the signature is missing or does not match. */
  readonly verify: (request: ProviderRequest, secret: string) => void;
  /** Throws `WebhookPayloadError` when nothing in the body is readable. */
  readonly parse: (request: ProviderRequest) => ParsedDelivery;
}

const RAW_BODY_HINT =
  "body must be the raw request body as received (a string, Buffer, Uint8Array or ArrayBuffer), not a parsed object: " +
  "the signature is computed over the exact bytes, so read the body before any JSON body parser (express.json(), Fastify's JSON parser) runs";

const bodySchema = z.custom<WebhookBody>((value) => typeof value === "string" || value instanceof Uint8Array || value instanceof ArrayBuffer, {
  error: RAW_BODY_HINT,
});
const headersSchema = z.custom<WebhookHeaders>((value) => typeof value === "object" && value !== null, {
  error: "headers must be the request's headers (a Headers object or a record)",
});

/**
 * Stripe's `constructEvent` for any provider: validates the input (a bad one throws
 * `WebhookConfigError` naming it, e.g. a parsed object as `body`), verifies the signature on the exact
 * bytes (`WebhookVerificationError`, code `SIGNATURE_INVALID`, saying whether the header is missing or
 * does not match) and parses the body (`WebhookPayloadError`, code `PAYLOAD_INVALID`). Returns the
 * delivery: its de-duplication key, its per-entity events, whether it is a handshake, and any entries
 * that could not be read while others could (`rejected`).
 *
 * @example
 * ```ts
 * export const verifyAndParseAcme = (input: VerifyAndParseInput & { secret: string }) =>
 *   verifyAndParseWith(input, { label: "acme.verifyAndParse() input", secretOption: "secret", verify: verifyAcme, parse: parseAcme });
 * ```
 */
export function verifyAndParseWith<Secret extends string>(
  input: VerifyAndParseInput & { readonly [K in Secret]: string },
  spec: VerifyAndParseSpec<Secret>,
): ParsedDelivery {
  const schema = z.strictObject({
    body: bodySchema,
    headers: headersSchema,
    receivedAt: z.date().optional(),
    [spec.secretOption]: z.string({ error: `${spec.secretOption} is required` }).min(1, { error: `${spec.secretOption} must not be empty` }),
  });
  const resolved = validateOptions(schema, input, spec.label) as { body: WebhookBody; headers: WebhookHeaders; receivedAt?: Date } & Record<Secret, string>;
  const request: ProviderRequest = {
    rawBody: rawBytes(resolved.body),
    headers: lowerCasedHeaders(resolved.headers),
    receivedAt: resolved.receivedAt ?? new Date(),
  };
  spec.verify(request, resolved[spec.secretOption]);
  return spec.parse(request);
}

function rawBytes(body: WebhookBody): Uint8Array {
  if (typeof body === "string") return new TextEncoder().encode(body);
  return body instanceof Uint8Array ? body : new Uint8Array(body);
}

/** Header names lower-cased as the providers' `verify` expects; repeated headers joined with ", " (RFC 9110). */
function lowerCasedHeaders(headers: WebhookHeaders): Record<string, string> {
  const entries: [string, string][] = [];
  if (typeof Headers !== "undefined" && headers instanceof Headers)
    headers.forEach((value, name) => {
      entries.push([name, value]);
    });
  else {
    for (const [name, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
      if (value !== undefined) entries.push([name.toLowerCase(), typeof value === "string" ? value : value.join(", ")]);
    }
  }
  return Object.fromEntries(entries);
}
