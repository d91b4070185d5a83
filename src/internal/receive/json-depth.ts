// The nesting depth of a JSON body, measured on its bytes before anything parses or serialises it.
import { WebhookPayloadError } from "../../errors.ts";

/**
 * Deepest nesting a webhook body may have. Real QuickBooks and Xero notifications nest under ten
 * levels; a body nested thousands deep is legal JSON that `JSON.parse` reads but `JSON.stringify`
 * (in every store) overflows the stack on, so it is refused before parsing and kept as unparseable.
 */
export const MAX_JSON_DEPTH = 128;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/** Throws `WebhookPayloadError` when `body` nests objects and arrays deeper than `maxDepth`; one pass, no allocation. */
export function assertJsonDepth(body: Uint8Array, maxDepth: number = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i += 1) {
    const byte = body[i]!;
    if (inString) {
      if (byte === BACKSLASH) i += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth += 1;
      if (depth > maxDepth) throw new WebhookPayloadError(`body is nested deeper than ${maxDepth} levels (a webhook never is); kept whole, not parsed`);
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth -= 1;
    }
  }
}
