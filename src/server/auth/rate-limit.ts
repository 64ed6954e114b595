/**
 * Counts failures per key in a fixed window. `blocked` is asked before the attempt, `fail` is
 * called after a failed one, so a blocked key learns nothing from trying.
 */
export class FailureLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  blocked(key: string): boolean {
    const w = this.current(key);
    return w !== undefined && w.count >= this.limit;
  }

  fail(key: string): void {
    const w = this.current(key);
    if (w) w.count++;
    else this.windows.set(key, { count: 1, resetAt: this.now() + this.windowMs });
  }

  /** Forget windows that ended, so memory stays bounded by recent failures. */
  prune(): void {
    const now = this.now();
    for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key);
  }

  private current(key: string): { count: number; resetAt: number } | undefined {
    const w = this.windows.get(key);
    if (w && w.resetAt <= this.now()) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }
}
