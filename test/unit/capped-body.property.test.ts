// Property tests of the capped body reader: any chunking within the cap is returned byte-identical; over the cap is refused.
import { IncomingMessage } from "node:http";
import { Socket } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BodySource, nodeBodySource, readCappedBody, webBodySource } from "webhook-inbox/adapter-kit";

const chunks = fc.array(fc.uint8Array({ minLength: 0, maxLength: 64 }), { maxLength: 12 });
const cap = fc.integer({ min: 0, max: 400 });
/** What the client declares: nothing, the true length, or any other length (a lying or wrong header). */
const declaration = fc.oneof(fc.constant("none" as const), fc.constant("true" as const), fc.integer({ min: 0, max: 800 }));

function joined(parts: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}

function declared(kind: "none" | "true" | number, total: number): string | null {
  if (kind === "none") return null;
  return String(kind === "true" ? total : kind);
}

function webSource(parts: readonly Uint8Array[], contentLength: string | null): { source: BodySource; cancelled: () => boolean } {
  let cancelled = false;
  let index = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      // Each chunk is a copy, so the reader cannot pass the test's own arrays back unchanged by accident.
      if (index < parts.length) controller.enqueue(parts[index++]!.slice());
      else controller.close();
    },
    cancel() {
      cancelled = true;
    },
  });
  return { source: webBodySource(stream, contentLength), cancelled: () => cancelled };
}

function nodeSource(parts: readonly Uint8Array[], contentLength: string | null): { source: BodySource; request: IncomingMessage } {
  const request = new IncomingMessage(new Socket());
  if (contentLength !== null) request.headers["content-length"] = contentLength;
  const source = nodeBodySource(request);
  // The body arrives after reading has started, one chunk per turn of the event loop.
  let index = 0;
  const feed = () => {
    if (index < parts.length) {
      request.push(Buffer.from(parts[index++]!));
      setImmediate(feed);
    } else request.push(null);
  };
  setImmediate(feed);
  return { source, request };
}

/** The contract of `readCappedBody`, as its documentation states it. */
function expectContract(result: Awaited<ReturnType<typeof readCappedBody>>, parts: readonly Uint8Array[], maxBytes: number, contentLength: string | null) {
  const body = joined(parts);
  const refusedByHeader = contentLength !== null && Number(contentLength) > maxBytes;
  expect(result.kind).toBe("read");
  if (result.kind !== "read") return;
  if (refusedByHeader || body.byteLength > maxBytes) {
    expect(result.truncated).toBe(true);
    expect(result.rawBody.byteLength).toBe(0);
  } else {
    expect(result.truncated).toBe(false);
    expect(Buffer.from(result.rawBody).equals(Buffer.from(body))).toBe(true);
  }
}

describe("readCappedBody (property)", () => {
  it("Web stream: within the cap the body is byte-identical for any chunking; over the cap (declared or streamed) it is truncated, empty, and the stream cancelled", async () => {
    await fc.assert(
      fc.asyncProperty(chunks, cap, declaration, async (parts, maxBytes, kind) => {
        const total = parts.reduce((sum, part) => sum + part.byteLength, 0);
        const contentLength = declared(kind, total);
        const { source, cancelled } = webSource(parts, contentLength);
        const result = await readCappedBody(source, maxBytes);
        expectContract(result, parts, maxBytes, contentLength);
        // Released past the cap: the rest of the stream is not read.
        if (result.kind === "read" && result.truncated) expect(cancelled()).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("Node request: within the cap the body is byte-identical for any chunking; over the cap (declared or streamed) it is truncated and empty", async () => {
    await fc.assert(
      fc.asyncProperty(chunks, cap, declaration, async (parts, maxBytes, kind) => {
        const total = parts.reduce((sum, part) => sum + part.byteLength, 0);
        const contentLength = declared(kind, total);
        const { source, request } = nodeSource(parts, contentLength);
        const result = await readCappedBody(source, maxBytes);
        expectContract(result, parts, maxBytes, contentLength);
        if (result.kind === "read" && result.truncated) {
          // Released: the reader no longer listens. Once it had started listening, a late stream error
          // cannot become an unhandled 'error' event; refused by its header, the request was never touched.
          expect(request.listenerCount("data")).toBe(0);
          const refusedByHeader = contentLength !== null && Number(contentLength) > maxBytes;
          if (!refusedByHeader) expect(() => request.emit("error", new Error("late reset"))).not.toThrow();
        }
        request.destroy();
      }),
      { numRuns: 150 },
    );
  });

  it("a stream that breaks part-way is reported failed with the bytes received so far, never rejected", async () => {
    await fc.assert(
      fc.asyncProperty(chunks, fc.nat(), async (parts, breakAt) => {
        const failAfter = breakAt % (parts.length + 1);
        let index = 0;
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (index === failAfter) return controller.error(new Error("connection reset"));
            controller.enqueue(parts[index++]!.slice());
          },
        });
        const received = parts.slice(0, failAfter).reduce((sum, part) => sum + part.byteLength, 0);
        // A cap above everything, so only the break can end the read.
        const result = await readCappedBody(webBodySource(stream, null), 10_000);
        expect(result.kind).toBe("failed");
        if (result.kind === "failed") {
          expect(result.receivedBytes).toBe(received);
          expect((result.cause as Error).message).toBe("connection reset");
        }
      }),
      { numRuns: 150 },
    );
  });
});
