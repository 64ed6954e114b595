import { describe, expect, it } from "vitest";
import { MemoryBuckets } from "../../src/server/limits/buckets.js";
import { sourceOf } from "../../src/server/limits/source.js";

describe("limit keys and buckets", () => {
  it("counts IPv6 clients by /64 and IPv4 ones by address, mapped or not", () => {
    expect(sourceOf("2001:db8:1:2:aa::1")).toBe("2001:db8:1:2::/64");
    expect(sourceOf("2001:db8:1:2:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(sourceOf("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(sourceOf("::ffff:192.0.2.7")).toBe("192.0.2.7");
    expect(sourceOf("192.0.2.7")).toBe("192.0.2.7");
    expect(sourceOf("unknown")).toBe("unknown");
  });

  it("a bucket holds its burst, refills evenly over the window and says how long to wait", async () => {
    let now = 0;
    const b = new MemoryBuckets(() => now);
    const rate = { burst: 4, windowMs: 4_000 };
    for (let i = 0; i < 4; i++) expect(await b.take("k", rate)).toBe(true);
    expect(await b.take("k", rate)).toBe(false);
    expect(await b.waitMs("k", rate)).toBe(1_000);
    now = 999;
    expect(await b.level("k", rate)).toBe(0);
    now = 1_000;
    expect(await b.take("k", rate)).toBe(true);
    expect(await b.level("other", rate)).toBe(4);
    await b.refund("k", rate);
    expect(await b.level("k", rate)).toBe(1);
    for (let i = 0; i < 9; i++) await b.refund("k", rate);
    expect(await b.level("k", rate)).toBe(4);
    now = 100_000;
    b.prune();
    expect(await b.level("k", rate)).toBe(4);
  });
});
