/** Exponential backoff with jitter: half the capped delay fixed, half random, so clients spread out. */
export function backoffDelay(attempt: number, baseMs = 250, maxMs = 5000, random = Math.random): number {
  const capped = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(capped / 2 + random() * (capped / 2));
}
