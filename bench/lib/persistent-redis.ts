/**
 * A second Redis for the DIY BullMQ ingest row, persisting as BullMQ's production advice says
 * (`appendonly yes`, `appendfsync everysec`), so that row is compared with fsynced SQLite and
 * PostgreSQL on equal terms. The machine's own Redis keeps nothing on disk.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep } from "./report.ts";

export interface PersistentRedis {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("error", () => resolve(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => {
      socket.destroy();
      resolve(data.toString().startsWith("+PONG"));
    });
  });
}

/** Starts `redis-server` on `port` with the append-only file fsynced every second, in a temp folder. */
export async function startPersistentRedis(port = 6391): Promise<PersistentRedis> {
  const dir = mkdtempSync(join(tmpdir(), "webhook-inbox-bench-redis-"));
  const child: ChildProcess = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
      "--save",
      "",
      "--daemonize",
      "no",
      "--logfile",
      join(dir, "redis.log"),
    ],
    { stdio: "ignore" },
  );
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  for (let attempt = 0; attempt < 100 && !exited; attempt += 1) {
    if (await answersPing(port)) {
      return {
        url: `redis://127.0.0.1:${port}`,
        pid: child.pid!,
        stop: async () => {
          if (!exited) {
            const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
            child.kill("SIGTERM");
            await gone;
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await sleep(50);
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`redis-server with appendonly did not start on port ${port} (is redis-server installed, is the port free?)`);
}
