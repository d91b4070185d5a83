/**
 * The soak, short form for CI (≈ 12 s of sending): a steady webhook stream over loopback with a
 * fault mix, then every acknowledged webhook reaches a final status, none is lost, none completes
 * twice, and memory stays bounded. The long form is `npx tsx scripts/soak.ts --minutes 5`.
 */
import { describe, expect, it } from "vitest";
import { runSoak } from "./soak-harness.ts";

describe("soak (short form)", () => {
  it("a webhook stream with a fault mix: nothing acknowledged is lost, nothing completes twice, memory stays bounded", async () => {
    const figures = await runSoak({ durationMs: 12_000, ratePerSecond: 25, faultRate: 0.15, store: "sqlite", settleTimeoutMs: 12_000 });
    const summary = JSON.stringify(figures);
    expect(figures.acknowledged, summary).toBeGreaterThan(150);
    expect(figures.lost, summary).toBe(0);
    expect(figures.completedTwice, summary).toBe(0);
    expect(figures.refused.error ?? 0, summary).toBe(0);
    // Every fault kind was injected at least once, or the run proves less than it claims.
    for (const [kind, count] of Object.entries(figures.faults)) expect(count, `${kind}: ${summary}`).toBeGreaterThan(0);
    // Only unsigned requests are refused (401); a 5xx for a healthy store would be a bug.
    expect(
      Object.keys(figures.refused).filter((status) => status !== "401"),
      summary,
    ).toEqual([]);
    expect(figures.peakHeapMb, summary).toBeLessThan(400);
    expect(figures.heapLastThirdMb, summary).toBeLessThan(figures.heapFirstThirdMb * 2 + 40);
  }, 45_000);
});
