import { existsSync, linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

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

/**
 * One daemon per RESCUE_HOME: an exclusive pid file, taken over only when its process is gone,
 * plus a probe of the socket. Once held, a leftover socket file is stale and removed.
 */
export async function acquire(lockPath: string, socketPath: string): Promise<() => void> {
  // The pid is written to a private file first and then linked into place: link is atomic, so
  // a lock file always holds a whole pid, even while its daemon is still starting.
  const tmp = `${lockPath}.${process.pid}`;
  writeFileSync(tmp, String(process.pid), { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, lockPath);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        const pid = Number.parseInt(readFileSync(lockPath, "utf8"), 10);
        if (attempt > 0 || (Number.isFinite(pid) && pid !== process.pid && alive(pid))) throw new AlreadyRunning(Number.isFinite(pid) ? pid : null);
        rmSync(lockPath, { force: true });
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
