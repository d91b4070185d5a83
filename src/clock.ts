/**
 * Where the inbox reads the time. Everything time-based (backoff, leases, limiter windows, staleness)
 * goes through it, so tests move time forward instead of sleeping.
 */
export interface Clock {
  now(): Date;
}

/** The real clock. */
export const systemClock: Clock = { now: () => new Date() };
