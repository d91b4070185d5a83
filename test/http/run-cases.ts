/**
 * Runs the parity table (cases.ts) through one transport. Each case gets a fresh inbox and server;
 * the answer must match the table, the store must hold what the table says, and status, headers
 * and body must equal what `inbox.receive()` itself returns for the same request (ids aside): the
 * adapters translate, they decide nothing.
 */
import { describe, expect, it } from "vitest";
import type { WebhookProcessor } from "webhook-inbox";
import { MAX_BODY_BYTES, cases, createCaseInbox, type HttpCase, type HttpRequest, type HttpResponse } from "./cases.ts";

/** A transport serving an inbox on the routes cases.ts names. */
export interface Mounted {
  send(request: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}
export type Mount = (inbox: WebhookProcessor) => Promise<Mounted>;

export function describeHttpCases(transport: string, mount: Mount): void {
  describe(`${transport}: the HTTP parity table`, () => {
    for (const testCase of cases) {
      it(testCase.name, async () => {
        const inbox = createCaseInbox({ store: testCase.store });
        const server = await mount(inbox);
        try {
          for (const request of testCase.before ?? []) expect((await server.send(request)).status).toBeLessThan(300);
          const response = await server.send(testCase.request);
          await expectCase(testCase, response, inbox);
          expect(normalise(response)).toEqual(await referenceAnswer(testCase));
        } finally {
          await server.close();
          await inbox.stop();
        }
      });
    }
  });
}

async function expectCase(testCase: HttpCase, response: HttpResponse, inbox: WebhookProcessor): Promise<void> {
  const { expect: wanted } = testCase;
  expect(response.status, response.body).toBe(wanted.status);
  expect(response.headers["set-cookie"]).toBeUndefined();
  for (const [name, value] of Object.entries(wanted.headers ?? {})) expect(response.headers[name]).toBe(value);

  const deliveries = (await inbox.listDeliveries({ limit: 50 })).items;
  expect(deliveries).toHaveLength(wanted.deliveries);
  const newest = deliveries[0];

  if (wanted.body === "empty") {
    expect(response.body).toBe("");
  } else {
    const body = JSON.parse(response.body) as Record<string, unknown>;
    expect(body).toMatchObject(wanted.body);
    // Every acknowledgement names the delivery it stored; a duplicate also names the original.
    if ("status" in wanted.body) expect(body.deliveryId).toBe(newest?.id);
    if (wanted.body.status === "duplicate") expect(body.duplicateOf).toBe(deliveries[1]?.id);
  }

  if (wanted.delivery === null) return;
  expect(newest).toBeDefined();
  expect(newest!.status).toBe(wanted.delivery.status);
  if (wanted.delivery.integration) expect(newest!.integration).toBe(wanted.delivery.integration);
  if (wanted.delivery.reason) expect(newest!.reason ?? "").toMatch(wanted.delivery.reason);
  // The log records the answer that was sent.
  expect(newest!.response?.status).toBe(wanted.status);
  const events = wanted.delivery.events ?? 0;
  expect(newest!.eventCount).toBe(events);
  const stored = await inbox.listEvents({ deliveryId: newest!.id, limit: 50 });
  expect(stored.items).toHaveLength(events);
  for (const event of stored.items) expect(event.status).toBe("queued");
}

/** What `receive()` answers for the same request on a fresh inbox, read the way the adapters read it. */
async function referenceAnswer(testCase: HttpCase): Promise<HttpResponse> {
  const inbox = createCaseInbox({ store: testCase.store });
  const call = (request: HttpRequest) => {
    const bytes = Buffer.from(request.body ?? "");
    const truncated = bytes.byteLength > MAX_BODY_BYTES;
    const path = request.path.split("/");
    return inbox.receive({
      integration: path[1] === "fixed" ? "test" : (path[2] ?? ""),
      rawBody: truncated ? new Uint8Array() : bytes,
      headers: request.headers ?? {},
      method: request.method,
      truncated,
    });
  };
  for (const request of testCase.before ?? []) await call(request);
  const result = await call(testCase.request);
  await inbox.stop();
  return normalise(result);
}

const ID = /[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** HTTP plumbing headers differ by server; what receive() decides must not. */
const PLUMBING = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding", "x-powered-by"]);

function normalise(response: HttpResponse): HttpResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) if (!PLUMBING.has(name)) headers[name] = value;
  return { status: response.status, headers, body: response.body.replace(ID, "<id>") };
}

/** Sends a case request over real HTTP with fetch. */
export async function sendOverHttp(baseUrl: string, request: HttpRequest): Promise<HttpResponse> {
  const init: RequestInit & { duplex?: "half" } = { method: request.method, headers: request.headers ?? {} };
  if (request.body !== undefined) {
    // Bytes, not a string: fetch would add "content-type: text/plain" to a string body on its own.
    init.body = request.chunked ? chunkedStream(request.body) : Buffer.from(request.body);
    if (request.chunked) init.duplex = "half";
  }
  return fromResponse(await fetch(new URL(request.path, baseUrl), init));
}

/** Builds the Web `Request` for a case (the Fetch handler's input). */
export function toRequest(baseUrl: string, request: HttpRequest): Request {
  const init: RequestInit & { duplex?: "half" } = { method: request.method, headers: request.headers ?? {} };
  if (request.body !== undefined) {
    init.body = request.chunked ? chunkedStream(request.body) : Buffer.from(request.body);
    if (request.chunked) init.duplex = "half";
    // A Request built from a string declares no content-length; a client on the wire would.
    else (init.headers as Record<string, string>)["content-length"] = String(Buffer.byteLength(request.body));
  }
  return new Request(new URL(request.path, baseUrl), init);
}

export async function fromResponse(response: Response): Promise<HttpResponse> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { status: response.status, headers, body: await response.text() };
}

function chunkedStream(body: string): ReadableStream<Uint8Array> {
  const bytes = Buffer.from(body);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      controller.enqueue(new Uint8Array(bytes.subarray(offset, offset + 1024)));
      offset += 1024;
    },
  });
}
