// The abort controller stop() fires: every running handler listens to it, so it allows any number of listeners.
import { setMaxListeners } from "node:events";

export function stopController(): AbortController {
  const controller = new AbortController();
  // More than 10 handlers at once is expected, not a leak.
  setMaxListeners(0, controller.signal);
  return controller;
}
