import type { Clock } from "../index.ts";

/**
 * A clock that moves only when told: pass it as `clock`, then `advance()` past a backoff or a
 * Retry-After and call `inbox.drain()`, instead of sleeping.
 */
export class ManualClock implements Clock {
  #now: number;
  constructor(start: Date | string | number = "2030-01-01T00:00:00.000Z") {
    this.#now = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.#now);
  }
  advance(ms: number): Date {
    this.#now += ms;
    return this.now();
  }
  set(time: Date | string | number): Date {
    this.#now = new Date(time).getTime();
    return this.now();
  }
}
