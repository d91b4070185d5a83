// The demo's port: the --port flag, and listening on it with a plain answer when it is taken.
import type { FastifyInstance } from "fastify";

/** `--port N` (0 = any free port); 3000 without the flag. Exits with a message for anything else. */
export function portOption(args: readonly string[]): number {
  const at = args.indexOf("--port");
  if (at === -1) return 3000;
  const value = args[at + 1];
  const port = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || port > 65_535) {
    console.error(`--port needs a port number from 0 to 65535 (0 = any free port), not ${value === undefined ? "nothing" : JSON.stringify(value)}`);
    process.exit(2);
  }
  return port;
}

/**
 * Listens on 127.0.0.1:`port` and returns the port it got (the real one for 0). A port in use ends
 * the demo with a message saying what to do (after `cleanUp`), exit code 1, instead of a stack trace.
 */
export async function listenOrExplain(app: FastifyInstance, port: number, cleanUp: () => Promise<void>): Promise<number> {
  try {
    await app.listen({ host: "127.0.0.1", port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    console.error(
      `Port ${port} on 127.0.0.1 is already in use (another demo still running?). ` +
        `Stop that process, or pick another port: npm run demo -- --port ${port + 1}  (or --port 0 for any free port)`,
    );
    await cleanUp();
    process.exit(1);
  }
  const address = app.server.address();
  return typeof address === "object" && address ? address.port : port;
}
