import type { TimelineEntry } from "../../../protocol/index.js";
import { isAbsolute, resolve } from "node:path";

/**
 * A recording reference as the daemon needs it: a session id stays as it is; a path (anything
 * with a slash) becomes absolute against the caller's folder, since the daemon's is another.
 */
export function recordingRef(ref: string): string {
  return ref.includes("/") && !isAbsolute(ref) ? resolve(ref) : ref;
}

/** 1234567 -> "1.2 MB" (decimal units, as `ls -h --si`). */
export function humanBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** 83400 -> "1:23.4" (minutes:seconds); null -> "-". */
export function humanDuration(ms: number | null): string {
  if (ms === null) return "-";
  const s = ms / 1000;
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(1).padStart(4, "0")}`;
}

/** `00:05.2  chat  customer: hello`: minutes, seconds and tenths on the recording's clock. */
export function timelineLine(e: TimelineEntry): string {
  const tenths = Math.floor(e.atMs / 100);
  const clock = `${String(Math.floor(tenths / 600)).padStart(2, "0")}:${String(Math.floor(tenths / 10) % 60).padStart(2, "0")}.${tenths % 10}`;
  return `${clock}  ${e.kind}  ${e.text}`;
}
