import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../daemon/backend/backoff.js";

describe("reconnect backoff", () => {
  it("doubles up to the cap, with jitter in the upper half", () => {
    expect(backoffDelay(0, 250, 5000, () => 0)).toBe(125);
    expect(backoffDelay(0, 250, 5000, () => 1)).toBe(250);
    expect(backoffDelay(3, 250, 5000, () => 1)).toBe(2000);
    expect(backoffDelay(10, 250, 5000, () => 1)).toBe(5000);
    expect(backoffDelay(10, 250, 5000, () => 0)).toBe(2500);
    const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(4)));
    expect(spread.size).toBeGreaterThan(10);
    for (const d of spread) expect(d).toBeGreaterThanOrEqual(2000), expect(d).toBeLessThanOrEqual(4000);
  });
});
