/**
 * Shared parts of the reliability and security suites: a fault-injecting HTTP proxy in front of the
 * provider fakes, a TCP proxy in front of PostgreSQL that can "pull the cable", a capturing logger
 * and an event recorder.
 */
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTcpServer, connect as tcpConnect, type Server as TcpServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import type { InboxEventMap, Logger, WebhookProcessor } from "webhook-inbox";

/** A node:http server on 127.0.0.1, port 0. */
async function listenOnLoopback(handler: (request: IncomingMessage, response: ServerResponse) => Promise<void>) {
  const server = createHttpServer((request, response) => {
    void handler(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What the proxy does to the next requests. */
export type ProxyFault = "reset" | "stall";

/**
 * An HTTP proxy on 127.0.0.1 that forwards to `target` unless a fault is armed: `reset` destroys the
 * client's socket before any byte is answered (ECONNRESET / "other side closed"), `stall` holds the
 * request until the proxy closes (the client's timeout must end it).
 */
export async function startFaultProxy(target: string) {
  const armed: ProxyFault[] = [];
  const counts: Record<ProxyFault, number> = { reset: 0, stall: 0 };
  const stalled = new Set<ServerResponse>();
  const targetUrl = new URL(target);
  const server = await listenOnLoopback(async (request: IncomingMessage, response: ServerResponse) => {
    const fault = armed.shift();
    if (fault === "reset") {
      counts.reset += 1;
      request.socket.destroy();
      return;
    }
    if (fault === "stall") {
      counts.stall += 1;
      stalled.add(response);
      return;
    }
    await new Promise<void>((resolve) => {
      const upstream = httpRequest(
        { host: targetUrl.hostname, port: targetUrl.port, method: request.method, path: request.url, headers: request.headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
          answer.on("end", resolve);
        },
      );
      upstream.on("error", () => {
        request.socket.destroy();
        resolve();
      });
      request.pipe(upstream);
    });
  });
  return {
    origin: server.origin,
    /** Arms `fault` for the next `count` requests. */
    arm(fault: ProxyFault, count = 1) {
      for (let i = 0; i < count; i += 1) armed.push(fault);
    },
    counts,
    async close() {
      for (const response of stalled) response.destroy();
      await server.close();
    },
  };
}

/**
 * A TCP proxy in front of PostgreSQL. `cut()` destroys every open connection and refuses new ones
 * (the database "goes away" for this pool only, other suites are not touched); `restore()` lets
 * connections through again.
 */
export async function startTcpProxy(targetHost: string, targetPort: number) {
  let down = false;
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    get down() {
      return down;
    },
    cut() {
      down = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    restore() {
      down = false;
    },
    async close() {
      down = true;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A logger that keeps every line (message and context) for later inspection. */
export function capturingLogger() {
  const lines: { level: string; message: string; context: unknown }[] = [];
  const at =
    (level: string) =>
    (message: string, context?: Record<string, unknown>): void => {
      lines.push({ level, message, context });
    };
  const logger: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  return { logger, lines, text: () => JSON.stringify(lines) };
}

export const LIFECYCLE_EVENTS: readonly (keyof InboxEventMap)[] = [
  "delivery:received",
  "delivery:rejected",
  "event:processed",
  "event:failed",
  "event:retry-scheduled",
  "event:exhausted",
  "event:stale",
  "event:rate-limited",
  "error",
];

/** Records every lifecycle payload the inbox emits. */
export function recordLifecycle(inbox: WebhookProcessor) {
  const seen: { name: keyof InboxEventMap; payload: unknown }[] = [];
  for (const name of LIFECYCLE_EVENTS) {
    inbox.on(name, ((payload: unknown) => seen.push({ name, payload })) as never);
  }
  return {
    seen,
    count: (name: keyof InboxEventMap) => seen.filter((entry) => entry.name === name).length,
    /** Every payload as JSON (errors expanded to message + stack + cause). */
    text: () => JSON.stringify(seen, errorReplacer),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack, cause: value.cause };
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  return value;
}

/** JSON of anything, errors and byte arrays expanded, for searching secrets in it. */
export function deepText(value: unknown): string {
  return JSON.stringify(value, errorReplacer) ?? "";
}

/** A quiet logger. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
