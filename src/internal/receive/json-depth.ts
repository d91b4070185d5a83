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
  const length = body.length;
  for (let i = 0; i < length; i += 1) {
    const byte = body[i]!;
    if (byte === QUOTE) {
      // Most of a webhook's bytes are inside strings: jump to the closing quote (a native search).
      i = closingQuote(body, i);
      if (i < 0) return; // unterminated: nothing after it nests (and the parser refuses it)
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth += 1;
      if (depth > maxDepth) throw new WebhookPayloadError(`body is nested deeper than ${maxDepth} levels (a webhook never is); kept whole, not parsed`);
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth -= 1;
    }
  }
}

/** The index of the quote closing the string opened at `open`: the next one not escaped by an odd run of backslashes; -1 if none. */
function closingQuote(body: Uint8Array, open: number): number {
  for (let from = open + 1; ; ) {
    const quote = body.indexOf(QUOTE, from);
    if (quote < 0) return -1;
    let backslashes = 0;
    while (body[quote - 1 - backslashes] === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}
