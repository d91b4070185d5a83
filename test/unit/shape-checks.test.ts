import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isPlainRecord, quickText } from "../../src/provider-kit/index.ts";

// The fast checks may only ever give the answer the schema gives, or step aside (undefined / false).
const text = z.string().trim().min(1);
const record = z.looseObject({});

describe("provider-kit shape checks", () => {
  const inputs: unknown[] = ["Invoice", "  142 ", "", "   ", 142, null, undefined, {}, [], ["a"], { a: 1 }, new Date(0), true];

  it("quickText gives the schema's output or steps aside", () => {
    for (const input of inputs) {
      const quick = quickText(input);
      const parsed = text.safeParse(input);
      if (quick !== undefined) expect(parsed).toEqual({ success: true, data: quick });
      if (parsed.success && typeof input === "string") expect(quick).toBe(parsed.data);
    }
    expect(quickText("  Invoice ")).toBe("Invoice");
    expect(quickText(" ")).toBeUndefined();
    expect(quickText(7)).toBeUndefined();
  });

  it("isPlainRecord accepts only what an object schema accepts", () => {
    for (const input of inputs) if (isPlainRecord(input)) expect(record.safeParse(input).success).toBe(true);
    expect([{}, { a: 1 }].map(isPlainRecord)).toEqual([true, true]);
    expect([null, [], ["a"], "x", 1, undefined].map(isPlainRecord)).toEqual([false, false, false, false, false, false]);
  });
});
