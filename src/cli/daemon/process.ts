import { rmSync } from "node:fs";
import type { HomePaths } from "../../profile/home.js";
import { isRunning, readPidFile, type PidRecord } from "../../process/pidfile.js";

/** Marks an answer that did not come in time (see `within`). */
export const TIMED_OUT: unique symbol = Symbol("timed out");

/** `p`'s value, or TIMED_OUT after `ms` milliseconds; a late failure of `p` is ignored. */
export function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  p.catch(() => undefined);
  let timer: NodeJS.Timeout;
  const late = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Polls until the process of `r` is gone (exited, or a zombie); false when it still runs after `ms`. */
export async function waitGone(r: PidRecord, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isRunning(r)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

export interface Stopped {
  /** True when it had to be killed (SIGKILL) after `graceMs`. */
  killed: boolean;
}

/**
 * Waits (up to `graceMs`) for a daemon that was asked to stop to exit, then SIGKILLs it and
 * waits again (up to `killMs`). A killed daemon leaves its pid file and socket: they are
 * removed when they are still its. Throws when the process outlives SIGKILL (another user's).
 */
export async function awaitExit(paths: HomePaths, target: PidRecord, graceMs: number, killMs = 2000): Promise<Stopped> {
  if (await waitGone(target, graceMs)) return { killed: false };
  try {
    process.kill(target.pid, "SIGKILL");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw new Error(`cannot kill rescued (pid ${target.pid}): ${(e as Error).message}`);
  }
  if (!(await waitGone(target, killMs))) throw new Error(`rescued (pid ${target.pid}) is still running after SIGKILL`);
  const held = readPidFile(paths.lock);
  if (held?.pid === target.pid) {
    rmSync(paths.lock, { force: true });
    rmSync(paths.socket, { force: true });
  }
  return { killed: true };
}
