// Reading a request body as bytes under a size cap, for any stream an HTTP adapter has.
import type { IncomingMessage } from "node:http";

/** The body as read: the bytes (empty and `truncated` past the cap), or `failed` when the stream broke. */
export type CappedBodyResult =
  | { readonly kind: "read"; readonly rawBody: Uint8Array; readonly truncated: boolean }
  | { readonly kind: "failed"; readonly receivedBytes: number; readonly cause: unknown };

/** Where a body reader delivers a stream's chunks. */
export interface BodySink {
  chunk(bytes: Uint8Array): void;
  end(): void;
  error(cause: unknown): void;
}

/** A request body as an adapter sees it: its declared length and a way to stream it. */
export interface BodySource {
  /** The `content-length` header, when the client declared one. */
  readonly contentLength: string | null | undefined;
  /** Starts delivering the body's chunks to `sink`. */
  start(sink: BodySink): void;
  /** No more bytes are wanted (past the cap, or read whole): stop delivering and let the rest go. */
  release(): void;
}

/**
 * Reads `source` as bytes, at most `maxBytes`. A declared `content-length` over the cap is refused
 * before reading; a streamed body is released as soon as it passes the cap. A body over the cap is not
 * kept at all (`rawBody` is empty), so a refused request costs no more than the cap in memory. Never
 * rejects: a stream that breaks yields `failed` with the bytes received so far.
 */
export function readCappedBody(source: BodySource, maxBytes: number): Promise<CappedBodyResult> {
  const declared = Number(source.contentLength ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    source.release();
    return Promise.resolve({ kind: "read", rawBody: new Uint8Array(), truncated: true });
  }
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let done = false;
    const finish = (result: CappedBodyResult) => {
      if (done) return;
      done = true;
      chunks.length = 0;
      source.release();
      resolve(result);
    };
    try {
      source.start({
        chunk(bytes) {
          if (done) return;
          size += bytes.byteLength;
          if (size > maxBytes) finish({ kind: "read", rawBody: new Uint8Array(), truncated: true });
          else chunks.push(bytes);
        },
        end() {
          if (!done) finish({ kind: "read", rawBody: concat(chunks, size), truncated: false });
        },
        error(cause) {
          finish({ kind: "failed", receivedBytes: size, cause });
        },
      });
    } catch (cause) {
      finish({ kind: "failed", receivedBytes: size, cause });
    }
  });
}

/** A Web `ReadableStream` body (Fetch `Request.body`) as a `BodySource`. */
export function webBodySource(body: ReadableStream<Uint8Array> | null, contentLength: string | null): BodySource {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let released = false;
  return {
    contentLength,
    start(sink) {
      if (!body) return sink.end();
      reader = body.getReader();
      const pump = async (active: ReadableStreamDefaultReader<Uint8Array>) => {
        for (;;) {
          const { done, value } = await active.read();
          if (done || released) return sink.end();
          sink.chunk(value);
        }
      };
      pump(reader).catch((cause: unknown) => sink.error(cause));
    },
    release() {
      if (released) return;
      released = true;
      // Releasing a body nobody will read further; its failure changes nothing.
      (reader ? reader.cancel() : body?.cancel())?.catch(() => {});
    },
  };
}

/**
 * A Node request (`IncomingMessage`) as a `BodySource`. Released past the cap, it stops listening;
 * Node discards the rest of the upload once the response is sent.
 */
export function nodeBodySource(request: IncomingMessage): BodySource {
  let detach = () => {};
  return {
    contentLength: request.headers["content-length"],
    start(sink) {
      const onData = (chunk: Buffer) => sink.chunk(chunk);
      const onEnd = () => sink.end();
      const onError = (cause?: unknown) => sink.error(cause ?? new Error("the client aborted the request"));
      request.on("data", onData).once("end", onEnd).once("error", onError).once("aborted", onError);
      detach = () => {
        request.off("data", onData).off("end", onEnd).off("error", onError).off("aborted", onError);
        // A late stream error must never become an unhandled 'error' event that crashes the host.
        request.on("error", ignore);
      };
    },
    release() {
      detach();
      detach = () => {};
    },
  };
}

const ignore = () => {};

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
