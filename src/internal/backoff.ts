// Retry delays: exponential backoff with jitter.
/** Exponential backoff with jitter; `attempt` is the number of automatic attempts already spent (1 = first retry). */
export interface BackoffPolicy {
  baseMs: number;
  factor: number;
  maxMs: number;
  /** Share of the delay that is random: the delay is drawn from [d × (1 − jitter/2), d]; at 1 from [d/2, d], never near zero. */
  jitter: number;
}

export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * policy.factor ** Math.max(0, attempt - 1));
  const spread = exponential * (policy.jitter / 2);
  return Math.round(exponential - spread * random());
}
