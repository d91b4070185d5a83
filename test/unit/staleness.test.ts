import { describe, expect, it } from "vitest";
import { judgeAgainstWatermark } from "../../src/internal/staleness.ts";

const watermark = {
  integration: "i",
  tenantId: "t",
  entityType: "invoice",
  entityId: "1",
  occurredAt: new Date("2030-01-01T00:00:10Z"),
  eventId: "0190-b",
  downloadedAt: new Date("2030-01-01T00:01:00Z"),
};

describe("judgeAgainstWatermark", () => {
  it("lets anything through when nothing was applied", () => {
    expect(judgeAgainstWatermark({ occurredAt: new Date(0), id: "a" }, { downloadedAt: new Date(0) }, undefined)).toBeNull();
  });

  it("marks stale data downloaded before the applied data, naming the download that superseded it", () => {
    const verdict = judgeAgainstWatermark(
      { occurredAt: new Date("2030-01-01T00:00:20Z"), id: "0190-c" },
      { downloadedAt: new Date("2030-01-01T00:00:59Z") },
      watermark,
    );
    expect(verdict?.supersededBy).toBe("download:2030-01-01T00:01:00.000Z");
  });

  it("marks stale a change older than the applied event, naming that event", () => {
    const verdict = judgeAgainstWatermark(
      { occurredAt: new Date("2030-01-01T00:00:09Z"), id: "0190-z" },
      { downloadedAt: new Date("2030-01-01T00:02:00Z") },
      watermark,
    );
    expect(verdict?.supersededBy).toBe("0190-b");
  });

  it("breaks equal times by event id, and lets newer changes through", () => {
    const at = watermark.occurredAt;
    const later = { downloadedAt: new Date("2030-01-01T00:02:00Z") };
    expect(judgeAgainstWatermark({ occurredAt: at, id: "0190-a" }, later, watermark)?.supersededBy).toBe("0190-b");
    expect(judgeAgainstWatermark({ occurredAt: at, id: "0190-c" }, later, watermark)).toBeNull();
    expect(judgeAgainstWatermark({ occurredAt: new Date("2030-01-01T00:00:11Z"), id: "0190-a" }, later, watermark)).toBeNull();
  });

  describe("with store-assigned download sequences", () => {
    const sequenced = { ...watermark, downloadSequence: 7 };
    const newer = { occurredAt: new Date("2030-01-01T00:00:20Z"), id: "0190-c" };

    it("judges by sequence, not by download time: a later sequence dated earlier (clock stepped back) is not stale", () => {
      expect(judgeAgainstWatermark(newer, { downloadedAt: new Date("2030-01-01T00:00:00Z"), downloadSequence: 8 }, sequenced)).toBeNull();
    });

    it("marks stale a download whose sequence is below the applied one, even when dated later (a worker running fast)", () => {
      const verdict = judgeAgainstWatermark(newer, { downloadedAt: new Date("2030-01-01T00:05:00Z"), downloadSequence: 6 }, sequenced);
      expect(verdict?.supersededBy).toBe("download:2030-01-01T00:01:00.000Z");
      expect(verdict?.reason).toContain("download #7; this one is #6");
    });

    it("counts a mark without a sequence (written before the store had them) as older than any sequenced download", () => {
      expect(judgeAgainstWatermark(newer, { downloadedAt: new Date("2030-01-01T00:00:00Z"), downloadSequence: 1 }, watermark)).toBeNull();
    });

    it("still marks stale a change older than the applied event", () => {
      const verdict = judgeAgainstWatermark(
        { occurredAt: new Date("2030-01-01T00:00:09Z"), id: "0190-z" },
        { downloadedAt: new Date(0), downloadSequence: 9 },
        sequenced,
      );
      expect(verdict?.supersededBy).toBe("0190-b");
    });
  });
});
