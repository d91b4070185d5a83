import { WebhookPayloadError } from "../errors.ts";

/**
 * Decodes a webhook body as strict UTF-8 JSON for a provider's `parse()`. Throws `WebhookPayloadError`
 * `"<label>: body is not valid UTF-8"`, `"... is empty"` or `"... is not valid JSON"`, so the inbox
 * stores the delivery as unparseable instead of guessing. Strict decoding matters: a lenient decoder
 * would turn bad bytes into U+FFFD and store text the provider never sent.
 *
 * @param label - what the body is, for messages (`"quickbooks payload"`)
 */
export function decodeJsonBody(rawBody: Uint8Array, label: string): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(rawBody);
  } catch (error) {
    throw new WebhookPayloadError(`${label}: body is not valid UTF-8`, error);
  }
  if (text.trim() === "") throw new WebhookPayloadError(`${label}: body is empty`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WebhookPayloadError(`${label}: body is not valid JSON`, error);
  }
}
