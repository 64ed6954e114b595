import type { Redis } from "ioredis";
import { RescueError } from "../../protocol/index.js";
import type { BucketStore, Rate } from "./buckets.js";

/**
 * One token bucket, refilled and used in one step so that nodes sharing the bucket cannot both
 * take its last token. KEYS[1]: the bucket (a hash: t = tokens, a = time of t in ms);
 * ARGV: operation (take | refund | level | wait), now (ms), burst, windowMs. The same arithmetic
 * as MemoryBuckets. A full bucket is deleted (a bucket nobody used is full) and every other one
 * expires when it would be full again, so Redis holds only recently used buckets.
 */
const BUCKET_LUA = `
local op = ARGV[1]
local now = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local tokens = burst
local v = redis.call('HMGET', KEYS[1], 't', 'a')
if v[1] then
  tokens = math.min(burst, tonumber(v[1]) + (now - tonumber(v[2])) * burst / window)
end
if op == 'level' then return math.floor(tokens) end
if op == 'wait' then
  if tokens >= 1 then return 0 end
  return math.ceil((1 - tokens) * (window / burst))
end
local result = 1
if op == 'take' then
  if tokens < 1 then return 0 end
  tokens = tokens - 1
elseif op == 'refund' then
  tokens = math.min(burst, tokens + 1)
else
  return redis.error_reply('unknown bucket operation')
end
if tokens >= burst then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'a', string.format('%.17g', now))
  redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * window / burst) + 1000)
end
return result
`;

type BucketOp = "take" | "refund" | "level" | "wait";
interface WithBucketCommand {
  rescueBucket(key: string, op: BucketOp, now: number, burst: number, windowMs: number): Promise<number>;
}

/**
 * The BucketStore of several server nodes: every bucket lives in Redis under `prefix` + key and
 * is changed atomically by one Lua script, so a limit holds across nodes as if on one. Time is
 * the calling node's clock (`now`, ms), as for PIN expiry: nodes keep their clocks in sync (NTP).
 * An operation while Redis is unreachable rejects with `unavailable` (503): the limit fails
 * closed, and the attempt it guards is refused rather than let through unlimited.
 */
export class RedisBuckets implements BucketStore {
  private readonly redis: Redis & WithBucketCommand;

  constructor(
    redis: Redis,
    private readonly now: () => number,
    private readonly prefix = "rescue:bucket:",
  ) {
    if (!("rescueBucket" in redis)) redis.defineCommand("rescueBucket", { numberOfKeys: 1, lua: BUCKET_LUA });
    this.redis = redis as Redis & WithBucketCommand;
  }

  async level(key: string, rate: Rate): Promise<number> {
    return this.run(key, "level", rate);
  }

  async take(key: string, rate: Rate): Promise<boolean> {
    return (await this.run(key, "take", rate)) === 1;
  }

  async refund(key: string, rate: Rate): Promise<void> {
    await this.run(key, "refund", rate);
  }

  async waitMs(key: string, rate: Rate): Promise<number> {
    return this.run(key, "wait", rate);
  }

  /** Nothing to do: Redis expires every bucket when it has refilled. */
  prune(): void {}

  private async run(key: string, op: BucketOp, rate: Rate): Promise<number> {
    try {
      return await this.redis.rescueBucket(this.prefix + key, op, this.now(), rate.burst, rate.windowMs);
    } catch {
      throw new RescueError("unavailable", "the service's shared state (Redis) is unreachable; try again shortly");
    }
  }
}
