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
    expect(judgeAgainstWatermark({ occurredAt: new Date(0), id: "a" }, new Date(0), undefined)).toBeNull();
  });

  it("marks stale data downloaded before the applied data, naming the download that superseded it", () => {
    const verdict = judgeAgainstWatermark({ occurredAt: new Date("2030-01-01T00:00:20Z"), id: "0190-c" }, new Date("2030-01-01T00:00:59Z"), watermark);
    expect(verdict?.supersededBy).toBe("download:2030-01-01T00:01:00.000Z");
  });

  it("marks stale a change older than the applied event, naming that event", () => {
    const verdict = judgeAgainstWatermark({ occurredAt: new Date("2030-01-01T00:00:09Z"), id: "0190-z" }, new Date("2030-01-01T00:02:00Z"), watermark);
    expect(verdict?.supersededBy).toBe("0190-b");
  });

  it("breaks equal times by event id, and lets newer changes through", () => {
    const at = watermark.occurredAt;
    const later = new Date("2030-01-01T00:02:00Z");
    expect(judgeAgainstWatermark({ occurredAt: at, id: "0190-a" }, later, watermark)?.supersededBy).toBe("0190-b");
    expect(judgeAgainstWatermark({ occurredAt: at, id: "0190-c" }, later, watermark)).toBeNull();
    expect(judgeAgainstWatermark({ occurredAt: new Date("2030-01-01T00:00:11Z"), id: "0190-a" }, later, watermark)).toBeNull();
  });
});
