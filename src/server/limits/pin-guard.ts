import { setTimeout as sleep } from "node:timers/promises";
import type { BucketStore, Rate } from "./buckets.js";
import { sourceOf } from "./source.js";

/** How PIN guessing is limited; see SECURITY.md for the figures and what they add up to. */
export interface PinLimits {
  /** Wrong PINs one source (an IPv4 address, an IPv6 /64) may try; once spent it is refused before any lookup. */
  perSource: Rate;
  /** Wrong PINs across every source; once spent each further wrong PIN is answered only after `slowdownMs`. */
  global: Rate;
  slowdownMs: number;
}

/** What a PIN check gave: the looked-up value, or a refusal that says nothing about the PIN. */
export type PinCheck<T> = { ok: true; value: T } | { ok: false; throttled: false } | { ok: false; throttled: true; retryAfterSeconds: number };

const GLOBAL = "pin:*";

/**
 * The one gate of every route that takes a PIN (customer socket, invitation join). A source whose
 * budget of wrong PINs is spent is refused before the lookup, so it learns nothing; otherwise the
 * PIN is looked up and a live one always gets in, whatever other sources did (a spent source's
 * own live PIN is refused too; its caller may tell the technician afterwards). Only misses count:
 * per source (a token is taken before the lookup, so parallel guesses cannot overdraw it, and
 * given back for a live PIN), and across all sources, where a spent budget slows every further
 * miss down (a sequential guesser waits) but never refuses a live PIN.
 */
export class PinGuard {
  private warnedAt = 0;

  constructor(
    private readonly buckets: BucketStore,
    private readonly limits: PinLimits,
    private readonly warn: (fields: Record<string, unknown>, message: string) => void,
    private readonly now: () => number = Date.now,
    /** Told every outcome, for the metrics. */
    private readonly counted: (result: "accepted" | "wrong" | "throttled") => void = () => undefined,
  ) {}

  /** Runs `lookup` (undefined = no such PIN) for a client at `address`, within the limits. */
  async check<T>(address: string, lookup: () => Promise<T | undefined>): Promise<PinCheck<T>> {
    const source = `pin:${sourceOf(address)}`;
    if (!(await this.buckets.take(source, this.limits.perSource))) {
      const waitMs = await this.buckets.waitMs(source, this.limits.perSource);
      this.counted("throttled");
      return { ok: false, throttled: true, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    }
    const value = await lookup();
    if (value !== undefined) {
      await this.buckets.refund(source, this.limits.perSource);
      this.counted("accepted");
      return { ok: true, value };
    }
    if (!(await this.buckets.take(GLOBAL, this.limits.global))) {
      if (this.now() - this.warnedAt > 60_000) {
        this.warnedAt = this.now();
        this.warn({ source: sourceOf(address) }, "wrong PINs from many sources: every wrong PIN is now answered slowly");
      }
      await sleep(this.limits.slowdownMs);
    }
    this.counted("wrong");
    return { ok: false, throttled: false };
  }
}
