// The Express adapters' body reader: a Node request read through the core's capped body reader.
import type { IncomingMessage } from "node:http";
import { type CappedBodyResult, nodeBodySource, readCappedBody } from "../../src/adapter-kit/index.ts";

/** The body as read from a Node request: the bytes, `truncated` past the cap, or `failed` when the stream broke. */
export type NodeBodyResult = CappedBodyResult;

/**
 * Reads a Node request stream as bytes, at most `maxBytes` (see `readCappedBody`): a declared
 * `content-length` over the cap is refused before reading, a streamed body stops being kept once it
 * passes the cap, and nothing over the cap is kept. Never rejects: a client that goes away yields `failed`.
 */
export function readNodeBody(request: IncomingMessage, maxBytes: number): Promise<NodeBodyResult> {
  return readCappedBody(nodeBodySource(request), maxBytes);
}
