import { readdirSync, readFileSync } from "node:fs";

/** The state letter of /proc/PID/stat (R, S, T, Z ...), or null when there is no such process. */
export function procState(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ")[0] ?? null;
  } catch {
    return null;
  }
}

/** Whether `pid` is a process that runs (exists and is not a zombie). */
export function runs(pid: number): boolean {
  const s = procState(pid);
  return s !== null && s !== "Z" && s !== "X";
}

/** Pids of the running rescued processes (bin/rescued.js) whose RESCUE_HOME is `home`: /proc, Linux only. */
export function rescuedOf(home: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (!cmdline.some((a) => a.endsWith("rescued.js"))) continue;
      const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      if (env.includes(`RESCUE_HOME=${home}`) && runs(pid)) out.push(pid);
    } catch {
      // gone, or another user's
    }
  }
  return out;
}

/** Polls `cond` every 25 ms until it holds or `ms` pass; returns its last value. */
export async function eventually(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}
