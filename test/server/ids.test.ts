import { describe, expect, it } from "vitest";
import { Id } from "../../src/protocol/index.js";
import { newId } from "../../src/server/org.js";

describe("newId", () => {
  it("makes valid ids that never start with a dash (the CLI would take them for an option)", () => {
    const ids = Array.from({ length: 5000 }, () => newId());
    for (const id of ids) {
      Id.parse(id);
      expect(id[0]).not.toBe("-");
    }
    expect(new Set(ids).size).toBe(ids.length);
    // Drawn from batches of random bytes: every letter at every place stays about equally likely.
    const counts = new Map<string, number>();
    for (const id of ids) for (const c of id) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(32);
    const expected = (ids.length * 14) / 32;
    for (const n of counts.values()) expect(Math.abs(n - expected)).toBeLessThan(expected * 0.15);
  });
});
