import { existsSync, linkSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { formatPidRecord, isRunning, pidRecord, readPidFile, type PidRecord } from "../src/process/pidfile.js";

/** Whether something answers on the socket (a live daemon) or it is a leftover file. */
export function socketAnswers(path: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

export class AlreadyRunning extends Error {
  constructor(readonly pid: number | null) {
    super(`rescued is already running for this RESCUE_HOME${pid ? ` (pid ${pid})` : ""}`);
  }
}

const same = (a: PidRecord | null, b: PidRecord | null) => a?.pid === b?.pid && a?.startTime === b?.startTime;

/**
 * Moves a stale pid file (its process is gone) out of the way. Renamed, not removed: when another
 * daemon replaced it meanwhile, what was moved is not `stale`, and it is put back.
 * Throws AlreadyRunning when the file now belongs to a live daemon.
 */
function takeOver(lockPath: string, stale: PidRecord | null): void {
  const aside = `${lockPath}.stale.${process.pid}`;
  try {
    renameSync(lockPath, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  const moved = readPidFile(aside);
  if (!same(moved, stale)) {
    try {
      linkSync(aside, lockPath);
    } catch {
      // Someone took the lock in between: theirs stands.
    }
    rmSync(aside, { force: true });
    throw new AlreadyRunning(moved?.pid ?? null);
  }
  rmSync(aside, { force: true });
}

/**
 * One daemon per RESCUE_HOME: an exclusive pid file (`PID START`, see pidfile.ts), taken over only
 * when the process it names is gone (dead, a zombie, or its pid now another process's), plus a
 * probe of the socket. Once held, a leftover socket file is stale and removed.
 * Returns the release function; throws AlreadyRunning when a live daemon holds the profile.
 */
export async function acquire(lockPath: string, socketPath: string): Promise<() => void> {
  // The pid is written to a private file first and then linked into place: link is atomic, so
  // a lock file always holds a whole record, even while its daemon is still starting.
  const tmp = `${lockPath}.${process.pid}`;
  writeFileSync(tmp, formatPidRecord(pidRecord()), { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, lockPath);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        const held = readPidFile(lockPath);
        if (attempt > 0 || (held && held.pid !== process.pid && isRunning(held))) throw new AlreadyRunning(held?.pid ?? null);
        takeOver(lockPath, held);
      }
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  if (existsSync(socketPath)) {
    if (await socketAnswers(socketPath)) {
      rmSync(lockPath, { force: true });
      throw new AlreadyRunning(null);
    }
    rmSync(socketPath, { force: true });
  }
  return () => {
    rmSync(socketPath, { force: true });
    rmSync(lockPath, { force: true });
  };
}
