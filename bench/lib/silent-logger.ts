import type { Logger } from "../../src/index.ts";

/** A logger that keeps the bench output to its figures: only errors are printed. */
export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: (message) => console.error(message) };
