/**
 * Waiting on counters that move (frames recorded, packets sent and heard) without fixed sleeps: a
 * busy machine delays every step, so a test waits for what it needs to see, with a deadline
 * generous enough for two loaded cores, and judges the counts it then reads.
 */

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `read` until it returns a value `ok` accepts; throws with the last value (and `what`) once
 * `timeoutMs` passes. Returns the accepted value.
 */
export async function until<T>(what: string, read: () => T | Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await pause(everyMs);
  }
}

/**
 * Polls a count until it has not moved for `quietMs` (what was in flight has arrived: packets
 * queued in sockets and timers of a starved process); throws when it keeps moving for `timeoutMs`.
 * Returns the settled count.
 */
export async function settled(what: string, read: () => number | Promise<number>, quietMs = 1000, timeoutMs = 20_000, everyMs = 100): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  let since = Date.now();
  for (;;) {
    await pause(everyMs);
    const now = await read();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return now;
    }
    if (Date.now() > deadline) throw new Error(`${what}: still moving (${now}) after ${timeoutMs} ms`);
  }
}
