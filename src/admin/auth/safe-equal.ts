/** Constant-time string comparison for secrets (passwords, API keys, cookie signatures). */
import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Whether two secrets are equal, in time that depends on neither their content nor their lengths:
 * both are hashed to SHA-256 first, so `timingSafeEqual` always compares 32 bytes.
 */
export function safeEqual(a: string, b: string): boolean {
  const left = createHash("sha256").update(a, "utf8").digest();
  const right = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(left, right);
}
