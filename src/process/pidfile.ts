import { readFileSync } from "node:fs";

/**
 * What the daemon's pid file (run/rescued.pid) names: a process id and, where /proc exists, that
 * process's start time, so that a pid the system handed to another process later is not taken
 * for the daemon. File format: `PID START\n` (or `PID\n`); readers that take the leading integer
 * keep working.
 */
export interface PidRecord {
  pid: number;
  /** Start time in clock ticks after boot (/proc/PID/stat field 22); null when unknown. */
  startTime: string | null;
}

interface ProcStat {
  /** R, S, D, T, Z (zombie), X (dead) ... */
  state: string;
  startTime: string;
}

const HAS_PROC = (() => {
  try {
    readFileSync("/proc/self/stat");
    return true;
  } catch {
    return false;
  }
})();

/** /proc/PID/stat's state and start time; null when no such process (or no /proc). */
function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const state = fields[0];
  const startTime = fields[19];
  return state && startTime ? { state, startTime } : null;
}

/** The record for this process (or `pid`), as written into a pid file. */
export function pidRecord(pid = process.pid): PidRecord {
  return { pid, startTime: procStat(pid)?.startTime ?? null };
}

export function formatPidRecord(r: PidRecord): string {
  return r.startTime ? `${r.pid} ${r.startTime}\n` : `${r.pid}\n`;
}

/** Parses a pid file; null when it is missing or holds no pid. */
export function readPidFile(path: string): PidRecord | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  const [pidText, startTime] = text.trim().split(/\s+/);
  const pid = Number.parseInt(pidText ?? "", 10);
  return Number.isFinite(pid) && pid > 0 ? { pid, startTime: startTime || null } : null;
}

/**
 * Whether the process a record names still runs: it exists, is not a zombie (killed, not yet
 * reaped: a parent that never waits keeps one for good), and started when the record says.
 * Without /proc, a signal 0 probe decides (EPERM means it exists).
 */
export function isRunning(r: PidRecord): boolean {
  if (HAS_PROC) {
    const stat = procStat(r.pid);
    if (!stat || stat.state === "Z" || stat.state === "X") return false;
    return r.startTime === null || stat.startTime === r.startTime;
  }
  try {
    process.kill(r.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The record in the pid file at `path` when its process still runs (the daemon holding the profile), else null. */
export function liveHolder(path: string): PidRecord | null {
  const r = readPidFile(path);
  return r && isRunning(r) ? r : null;
}
