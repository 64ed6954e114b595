import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryBuckets, type BucketStore, type Rate } from "../../src/server/limits/buckets.js";
import { RedisBuckets } from "../../src/server/limits/redis-buckets.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";

// The Redis BucketStore answers as the in-process one does, step for step under one clock, and
// its take is atomic across connections (nodes).

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

let prefixes = 0;
const prefix = () => `test${++prefixes}:bucket:`;

/** A deterministic pseudo-random sequence (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("RedisBuckets", () => {
  it("gives the same answers as MemoryBuckets for a long random run of take, refund, level and waitMs", async () => {
    let now = 1_700_000_000_000;
    const clock = () => now;
    const memory: BucketStore = new MemoryBuckets(clock);
    const shared: BucketStore = new RedisBuckets(redis.client(), clock, prefix());
    const rates: Rate[] = [
      { burst: 3, windowMs: 1_000 },
      { burst: 10, windowMs: 48 * 3_600_000 },
      { burst: 5, windowMs: 15 * 60_000 },
      { burst: 1, windowMs: 250 },
    ];
    const next = random(15);
    const differences: string[] = [];
    let takes = 0;
    for (let step = 0; step < 1_500; step++) {
      const key = `k${Math.floor(next() * 4)}`;
      const rate = rates[Number(key.slice(1))]!;
      const op = Math.floor(next() * 4);
      const [a, b] =
        op === 0
          ? await Promise.all([memory.take(key, rate), shared.take(key, rate)])
          : op === 1
            ? await Promise.all([memory.refund(key, rate).then(() => "ok"), shared.refund(key, rate).then(() => "ok")])
            : op === 2
              ? await Promise.all([memory.level(key, rate), shared.level(key, rate)])
              : await Promise.all([memory.waitMs(key, rate), shared.waitMs(key, rate)]);
      if (op === 0 && a === true) takes++;
      if (a !== b) differences.push(`step ${step}: ${["take", "refund", "level", "waitMs"][op]}(${key}) memory ${String(a)} redis ${String(b)}`);
      // Mostly short steps, sometimes long ones, so buckets drain, refill in part and refill fully.
      now += next() < 0.9 ? Math.floor(next() * 200) : Math.floor(next() * 4 * 3_600_000);
    }
    expect(differences).toEqual([]);
    // The run exercised both outcomes of take.
    expect(takes).toBeGreaterThan(50);
  });

  it("takes atomically: 40 nodes racing for a bucket of 10 get exactly 10 tokens", async () => {
    const at = Date.now();
    const key = prefix();
    const rate = { burst: 10, windowMs: 3_600_000 };
    const nodes = Array.from({ length: 4 }, () => new RedisBuckets(redis.client(), () => at, key));
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => nodes[i % 4]!.take("pin:203.0.113.9", rate)));
    expect(results.filter(Boolean)).toHaveLength(10);
    expect(await nodes[0]!.level("pin:203.0.113.9", rate)).toBe(0);
    expect(await nodes[1]!.waitMs("pin:203.0.113.9", rate)).toBe(360_000);
  });

  it("keeps only buckets that are not full, and lets them expire when they would be full again", async () => {
    const c = redis.client();
    const p = prefix();
    let now = Date.now();
    const buckets = new RedisBuckets(c, () => now, p);
    const rate = { burst: 2, windowMs: 2_000 };
    expect(await buckets.level("a", rate)).toBe(2);
    expect(await c.exists(`${p}a`)).toBe(0);
    expect(await buckets.take("a", rate)).toBe(true);
    const ttl = await c.pttl(`${p}a`);
    // One token missing refills in 1 s; the key lives that long plus a second of slack.
    expect(ttl).toBeGreaterThan(1_000);
    expect(ttl).toBeLessThanOrEqual(2_000);
    now += 1_000;
    await buckets.refund("a", rate);
    expect(await c.exists(`${p}a`)).toBe(0);
  });
});
