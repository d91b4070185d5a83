import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A message between the bench and a child process: `{ type, ...fields }`. */
export interface ChildMessage {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** A child process running a bench TypeScript file through tsx, talking over IPC. */
export interface BenchChild {
  readonly process: ChildProcess;
  /** Resolves with the next message of this type (rejects if the child exits first). */
  next<T extends ChildMessage = ChildMessage>(type: string, timeoutMs?: number): Promise<T>;
  send(message: ChildMessage): void;
  /** Asks it to stop, waits for the exit; kills it after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Extra node flags for every child, from `BENCH_CHILD_NODE_ARGS` (e.g. `--cpu-prof --cpu-prof-dir=prof`),
 * so one variant can be profiled exactly as it is measured.
 */
function extraNodeArgs(): string[] {
  return (process.env.BENCH_CHILD_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
}

/** Starts `file` (relative to bench/) as a child with tsx loaded. */
export function startChild(file: string, args: readonly string[] = [], nodeArgs: readonly string[] = []): BenchChild {
  const path = fileURLToPath(new URL(`../${file}`, import.meta.url));
  const child = fork(path, [...args], { execArgv: ["--import", "tsx", ...nodeArgs, ...extraNodeArgs()], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const inbox: ChildMessage[] = [];
  const waiters: { type: string; resolve: (message: ChildMessage) => void; reject: (error: Error) => void }[] = [];
  let exited: Error | null = null;
  child.on("message", (raw) => {
    const message = raw as ChildMessage;
    if (message.type === "error") {
      // A crash in the child fails whatever the bench is waiting for.
      const error = new Error(`bench child ${file}: ${String(message.message)}`);
      inbox.push(message);
      for (const waiter of waiters.splice(0)) waiter.reject(error);
      return;
    }
    const index = waiters.findIndex((waiter) => waiter.type === message.type);
    if (index >= 0) waiters.splice(index, 1)[0]!.resolve(message);
    else inbox.push(message);
  });
  child.on("exit", (code, signal) => {
    exited = new Error(`bench child ${file} ${args.join(" ")} exited (code ${code}, signal ${signal})`);
    for (const waiter of waiters.splice(0)) waiter.reject(exited);
  });
  return {
    process: child,
    next<T extends ChildMessage>(type: string, timeoutMs = 120_000): Promise<T> {
      const queued = inbox.findIndex((message) => message.type === type);
      if (queued >= 0) return Promise.resolve(inbox.splice(queued, 1)[0] as T);
      const failed = inbox.find((message) => message.type === "error");
      if (failed) return Promise.reject(new Error(`bench child ${file}: ${String(failed.message)}`));
      if (exited) return Promise.reject(exited);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`bench child ${file} sent no "${type}" within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          type,
          resolve: (message) => (clearTimeout(timer), resolve(message as T)),
          reject: (error) => (clearTimeout(timer), reject(error)),
        });
      });
    },
    send(message) {
      if (child.connected) child.send(message);
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exit = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      if (child.connected) child.send({ type: "stop" });
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** In a child: sends a message to the bench (dropped when the bench is gone). */
export function toParent(message: ChildMessage): void {
  if (process.connected) process.send?.(message);
}

/** In a child: runs `main`, reports a crash to the bench as an `error` message, exits non-zero. */
export function runChild(main: () => Promise<void>): void {
  // The bench went away (crashed, or was interrupted): leave no server or worker behind.
  process.once("disconnect", () => setTimeout(() => process.exit(0), 2_000).unref());
  main().catch((error: unknown) => {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    toParent({ type: "error", message });
    console.error(message);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 100).unref();
  });
}

/** In a child: resolves with the next message of this type from the bench. */
export function fromParent<T extends ChildMessage = ChildMessage>(type: string): Promise<T> {
  return new Promise((resolve) => {
    const listener = (raw: unknown) => {
      const message = raw as ChildMessage;
      if (message.type !== type) return;
      process.off("message", listener);
      resolve(message as T);
    };
    process.on("message", listener);
  });
}
