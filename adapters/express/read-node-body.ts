import type { IncomingMessage } from "node:http";

/** The body as read from a Node request: the bytes, `truncated` past the cap, or `failed` when the stream broke. */
export type NodeBodyResult =
  | { readonly kind: "read"; readonly rawBody: Uint8Array; readonly truncated: boolean }
  | { readonly kind: "failed"; readonly receivedBytes: number };

/**
 * Reads a Node request stream as bytes, at most `maxBytes`. A declared `content-length` over the cap
 * is refused before reading; a streamed body stops being kept once it passes the cap. A body over
 * the cap is not kept at all (`rawBody` is empty): a refused request costs no more than the cap.
 * Never rejects: a client that goes away yields `failed`.
 */
export function readNodeBody(request: IncomingMessage, maxBytes: number): Promise<NodeBodyResult> {
  const declared = Number(request.headers["content-length"] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve({ kind: "read", rawBody: new Uint8Array(), truncated: true });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: NodeBodyResult) => {
      request.off("data", onData).off("end", onEnd).off("error", onError).off("aborted", onError);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        // Stop keeping bytes; Node discards the rest of the upload once the response is sent.
        chunks.length = 0;
        finish({ kind: "read", rawBody: new Uint8Array(), truncated: true });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish({ kind: "read", rawBody: Buffer.concat(chunks, size), truncated: false });
    const onError = () => finish({ kind: "failed", receivedBytes: size });
    request.on("data", onData).once("end", onEnd).once("error", onError).once("aborted", onError);
  });
}
