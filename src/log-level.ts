// Log levels: which of the inbox's own messages reach the logger, and the console logger they default to.
import type { Logger } from "./events.ts";

/** From the most to the least verbose; `silent` writes nothing. */
export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };
const METHODS = ["debug", "info", "warn", "error"] as const;

/** Writes every level to the console (`console.debug` … `console.error`), each line prefixed `[webhook-inbox]`. */
const consoleAtEveryLevel: Logger = {
  debug: (message, context) => console.debug(`[webhook-inbox] ${message}`, context ?? ""),
  info: (message, context) => console.info(`[webhook-inbox] ${message}`, context ?? ""),
  warn: (message, context) => console.warn(`[webhook-inbox] ${message}`, context ?? ""),
  error: (message, context) => console.error(`[webhook-inbox] ${message}`, context ?? ""),
};

/**
 * The logger the inbox writes to: the host's `logger`, or the console, passing only messages at
 * `logLevel` or above. Without `logLevel`, the console gets `warn` and `error` (failed attempts,
 * exhausted events, refused requests) and a host's own logger gets every level, to filter itself.
 */
export function levelledLogger(logger: Logger | undefined, logLevel: LogLevel | undefined): Logger {
  const target = logger ?? consoleAtEveryLevel;
  const floor = RANK[logLevel ?? (logger ? "debug" : "warn")];
  const silent = () => {};
  const entries = METHODS.map((method) => [method, RANK[method] >= floor ? target[method].bind(target) : silent] as const);
  return Object.fromEntries(entries) as unknown as Logger;
}
