import { describe, expect, it } from "vitest";
import { randomPin, uniquePin } from "../../src/server/sessions/pin.js";

describe("PINs", () => {
  it("are 6 digits, zero-padded, spread over the whole space", () => {
    const pins = Array.from({ length: 20_000 }, randomPin);
    for (const pin of pins) expect(pin).toMatch(/^\d{6}$/);
    // About 10% start with 0 when small numbers are padded rather than skipped.
    const leadingZero = pins.filter((p) => p.startsWith("0")).length;
    expect(leadingZero).toBeGreaterThan(1500);
    expect(leadingZero).toBeLessThan(2500);
    expect(new Set(pins).size).toBeGreaterThan(19_500);
  });

  it("skip PINs that are taken", async () => {
    const taken = new Set<string>();
    let asked = 0;
    const pin = await uniquePin(async (p) => {
      asked++;
      if (asked <= 3) {
        taken.add(p);
        return true;
      }
      return false;
    });
    expect(asked).toBe(4);
    expect(taken.has(pin)).toBe(false);
  });
});
