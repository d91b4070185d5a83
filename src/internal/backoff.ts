/** Exponential backoff with full jitter; `attempt` is the number of automatic attempts already spent (1 = first retry). */
export interface BackoffPolicy {
  baseMs: number;
  factor: number;
  maxMs: number;
  /** 0 = no jitter, 1 = full jitter (delay drawn from [d/2, d] at 1 — never zero, so retries do not stampede). */
  jitter: number;
}

export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * policy.factor ** Math.max(0, attempt - 1));
  const spread = exponential * (policy.jitter / 2);
  return Math.round(exponential - spread * random());
}
