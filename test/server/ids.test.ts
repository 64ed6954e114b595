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
  });
});
