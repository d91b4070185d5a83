import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { nodeBodySource, readCappedBody, webBodySource } from "webhook-inbox/adapter-kit";

const bytes = (...sizes: number[]) => sizes.map((size, index) => new Uint8Array(size).fill(index + 1));

function webStream(chunks: Uint8Array[], failAfter?: number): { stream: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let cancelled = false;
  let index = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (failAfter !== undefined && index === failAfter) return controller.error(new Error("connection reset"));
      if (index < chunks.length) controller.enqueue(chunks[index++]!);
      else controller.close();
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

function nodeRequest(chunks: Uint8Array[], headers: Record<string, string> = {}): IncomingMessage {
  return Object.assign(Readable.from(chunks.map((chunk) => Buffer.from(chunk))), { headers }) as unknown as IncomingMessage;
}

describe("readCappedBody", () => {
  const sources = {
    web: (chunks: Uint8Array[], contentLength: string | null = null) => webBodySource(webStream(chunks).stream, contentLength),
    node: (chunks: Uint8Array[], contentLength: string | null = null) =>
      nodeBodySource(nodeRequest(chunks, contentLength ? { "content-length": contentLength } : {})),
  };

  it.each(Object.entries(sources))("%s: a body at the cap is read whole, in order", async (_, source) => {
    const result = await readCappedBody(source(bytes(3, 4, 3)), 10);
    expect(result).toEqual({ kind: "read", rawBody: new Uint8Array([1, 1, 1, 2, 2, 2, 2, 3, 3, 3]), truncated: false });
  });

  it.each(Object.entries(sources))("%s: one byte past the cap keeps nothing and says truncated", async (_, source) => {
    expect(await readCappedBody(source(bytes(6, 5)), 10)).toEqual({ kind: "read", rawBody: new Uint8Array(), truncated: true });
  });

  it.each(Object.entries(sources))("%s: a declared length over the cap is refused before reading", async (_, source) => {
    expect(await readCappedBody(source(bytes(2), "11"), 10)).toEqual({ kind: "read", rawBody: new Uint8Array(), truncated: true });
  });

  it("an empty or missing body is an empty read", async () => {
    expect(await readCappedBody(webBodySource(null, null), 10)).toEqual({ kind: "read", rawBody: new Uint8Array(), truncated: false });
    expect(await readCappedBody(sources.node([]), 10)).toEqual({ kind: "read", rawBody: new Uint8Array(), truncated: false });
  });

  it("a Web stream past the cap is cancelled, so the upload stops", async () => {
    const { stream, cancelled } = webStream(bytes(8, 8, 8));
    await readCappedBody(webBodySource(stream, null), 10);
    expect(cancelled()).toBe(true);
  });

  it("a stream that breaks is failed with the bytes received, never a rejection", async () => {
    const { stream } = webStream(bytes(4, 4), 1);
    const result = await readCappedBody(webBodySource(stream, null), 10);
    expect(result).toMatchObject({ kind: "failed", receivedBytes: 4 });
    const request = new Readable({ read() {} }) as unknown as IncomingMessage & Readable;
    Object.assign(request, { headers: {} });
    const reading = readCappedBody(nodeBodySource(request), 10);
    request.push(Buffer.alloc(3));
    request.destroy(new Error("socket hang up"));
    expect(await reading).toMatchObject({ kind: "failed", receivedBytes: 3 });
  });
});
