import { describe, expect, it } from "vitest";
import { createId } from "webhook-inbox/store-kit";
import { backoffDelay } from "../../src/internal/backoff.ts";

describe("backoffDelay", () => {
  const policy = { baseMs: 1_000, factor: 2, maxMs: 5_000, jitter: 0 };
  it("grows exponentially up to the cap", () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(policy, attempt))).toEqual([1_000, 2_000, 4_000, 5_000]);
  });
  it("spreads retries with jitter within [d/2, d] at full jitter", () => {
    const full = { ...policy, jitter: 1 };
    expect(backoffDelay(full, 2, () => 0)).toBe(2_000);
    expect(backoffDelay(full, 2, () => 1)).toBe(1_000);
  });
});

describe("createId", () => {
  it("makes UUIDv7 ids that sort in creation order, even within one millisecond", () => {
    const ids = Array.from({ length: 1_000 }, () => createId(1_900_000_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
