import Fastify from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { Cluster } from "../../src/server/bus/cluster.js";
import { Hub } from "../../src/server/ws/hub.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";

// How the sweeping node judges that no live node holds a customer (Hub.customersGone), against
// a real redis-server: from the time the dead node's entry expired, whichever node watched, but
// never from expiry times a restarted Redis may have brought back.

const TTL = 300;
const log = Fastify({ logger: false }).log;
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function redisServer(): Promise<TestRedis> {
  const redis = await startRedis();
  cleanups.push(() => redis.stop());
  return redis;
}

async function node(redis: TestRedis): Promise<Cluster> {
  const cluster = await Cluster.connect(redis.url, log, { presenceTtlMs: TTL });
  cleanups.push(() => cluster.close());
  return cluster;
}

/** Redis's clock, ms. */
async function redisNow(redis: TestRedis): Promise<number> {
  const [s, us] = await redis.client().time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

async function until(what: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("customers whose node died", () => {
  it("count as gone at the first look once their entry has expired for the reconnection backoff, not before", async () => {
    const redis = await redisServer();
    const sweeper = await node(redis);
    const dying = await node(redis);
    await until(() => sweeper.steadyFor(sweeper.confirmMs));
    await dying.presence.customerOn("s1");
    dying.kill();
    const expiresAt = Number(await redis.client().zscore("rescue:customer-expiry", "s1"));
    expect(expiresAt).toBeGreaterThan(0);

    // Held until the entry expires, then not gone for the backoff after it.
    expect([...(await new Hub(log, sweeper).customersGone(["s1"]))]).toEqual([]);
    await until(async () => (await redisNow(redis)) >= expiresAt + 200);
    expect(await redis.client().exists("rescue:customer:s1")).toBe(0);
    const notYet = await new Hub(log, sweeper).customersGone(["s1"]);
    // (Judged only when the answer came back within the backoff, as it does unless the machine stalls.)
    if ((await redisNow(redis)) < expiresAt + sweeper.expiredGraceMs) expect([...notYet]).toEqual([]);

    // A hub that never watched this customer (as a node taking the sweep over) sees them gone at once.
    await until(async () => (await redisNow(redis)) >= expiresAt + sweeper.expiredGraceMs + 50);
    expect([...(await new Hub(log, sweeper).customersGone(["s1"]))]).toEqual(["s1"]);
  });

  it("a customer who left cleanly has no expiry time left: counted from when the sweep first sees them missing", async () => {
    const redis = await redisServer();
    const sweeper = await node(redis);
    const holder = await node(redis);
    await until(() => sweeper.steadyFor(sweeper.confirmMs));
    await holder.presence.customerOn("s2");
    await holder.presence.customerOff("s2");
    expect(await redis.client().zscore("rescue:customer-expiry", "s2")).toBeNull();
    const hub = new Hub(log, sweeper);
    const firstLook = Date.now();
    expect([...(await hub.customersGone(["s2"]))]).toEqual([]);
    await until(async () => (await hub.customersGone(["s2"])).has("s2"));
    expect(Date.now() - firstLook).toBeGreaterThanOrEqual(sweeper.confirmMs);
  });

  it("a Redis restarted with expiry times from before (a snapshot) takes nobody for gone until every live node had time to write again", async () => {
    const redis = await redisServer();
    const sweeper = await node(redis);
    await until(() => sweeper.steadyFor(sweeper.confirmMs));
    await redis.crash();
    await redis.revive();
    await until(async () => sweeper.redis.ping().then(() => true, () => false));
    // What a snapshot would bring back: the customer's entry is gone, its expiry time long past.
    // The node holding the customer may still be alive and about to write its entry again.
    const reconnectedAt = Date.now();
    await redis.client().zadd("rescue:customer-expiry", (await redisNow(redis)) - 60_000, "s3");
    const hub = new Hub(log, sweeper);
    expect([...(await hub.customersGone(["s3"]))]).toEqual([]);
    await until(async () => (await hub.customersGone(["s3"])).has("s3"));
    expect(Date.now() - reconnectedAt).toBeGreaterThanOrEqual(sweeper.confirmMs - 100);
  });
});
