/** A bound on how long one store call may take: past it the caller gets a StoreError, the call runs on. */
import { StoreError } from "../../src/index.ts";

/**
 * Resolves or rejects as `work` does, or rejects with a StoreError after `ms`. `work` is not
 * cancelled (a commit may still land), and its late failure is absorbed, never unhandled.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, method: string, option: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new StoreError("postgres", `${method} failed: no answer from PostgreSQL within ${ms} ms (${option})`));
    }, ms);
  });
  work.catch(() => {});
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
