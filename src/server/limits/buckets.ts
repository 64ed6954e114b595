/**
 * A token bucket's shape: `burst` tokens at most, refilled evenly at `burst` per `windowMs`
 * (so 10 per 24 h is one token every 2.4 h). A bucket nobody used is full.
 */
export interface Rate {
  burst: number;
  windowMs: number;
}

/**
 * Where the limits keep their state: token buckets by key. Asynchronous so that a shared store
 * (Redis, for several server nodes) can take the place of the in-process one.
 */
export interface BucketStore {
  /** Whole tokens left in the bucket now, without taking any. */
  level(key: string, rate: Rate): Promise<number>;
  /** Takes one token; false (and nothing taken) when the bucket is empty. */
  take(key: string, rate: Rate): Promise<boolean>;
  /** Gives back a token taken for an attempt that turned out not to count (never above the burst). */
  refund(key: string, rate: Rate): Promise<void>;
  /** Milliseconds until the bucket holds a token again (0 when it has one). */
  waitMs(key: string, rate: Rate): Promise<number>;
  /** Forgets buckets that have refilled, so memory follows recent use only. */
  prune(): void;
}

/** The in-process BucketStore: one Map, time from `now` (milliseconds). */
export class MemoryBuckets implements BucketStore {
  private readonly buckets = new Map<string, { tokens: number; at: number; rate: Rate }>();

  constructor(private readonly now: () => number) {}

  async level(key: string, rate: Rate): Promise<number> {
    return Math.floor(this.refilled(key, rate).tokens);
  }

  async take(key: string, rate: Rate): Promise<boolean> {
    const b = this.refilled(key, rate);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    this.buckets.set(key, b);
    return true;
  }

  async refund(key: string, rate: Rate): Promise<void> {
    const b = this.refilled(key, rate);
    b.tokens = Math.min(rate.burst, b.tokens + 1);
    this.buckets.set(key, b);
  }

  async waitMs(key: string, rate: Rate): Promise<number> {
    const b = this.refilled(key, rate);
    return b.tokens >= 1 ? 0 : Math.ceil((1 - b.tokens) * (rate.windowMs / rate.burst));
  }

  prune(): void {
    for (const [key, b] of this.buckets) if (this.refilled(key, b.rate).tokens >= b.rate.burst) this.buckets.delete(key);
  }

  private refilled(key: string, rate: Rate): { tokens: number; at: number; rate: Rate } {
    const now = this.now();
    const b = this.buckets.get(key);
    if (!b) return { tokens: rate.burst, at: now, rate };
    const tokens = Math.min(rate.burst, b.tokens + ((now - b.at) * rate.burst) / rate.windowMs);
    b.tokens = tokens;
    b.at = now;
    b.rate = rate;
    return b;
  }
}
