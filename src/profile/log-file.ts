import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

export type Level = "info" | "warn" | "error";

/** Bearer tokens, passwords and API keys must never reach the log, whatever a message carries. */
function redact(msg: string): string {
  return msg
    .replace(/(bearer\s+)[^\s"']+/gi, "$1[redacted]")
    .replace(/\brk_[A-Za-z0-9_-]{43}/g, "rk_[redacted]")
    .replace(/("?(?:password|token)"?\s*[:=]\s*)("[^"]*"|[^\s,}]+)/gi, "$1[redacted]");
}

/**
 * Appends one line `ISO-time level message` (redacted) to the profile's log (HomePaths.log: the
 * daemon's, which the CLI and the console share for what their own helpers print). The folder is
 * made 0700 and the file 0600. Each line is one append, so writers in several processes do not
 * interleave inside a line. Never throws: a full disk must not end what was being done.
 */
export function appendLog(path: string, level: Level, msg: string): string {
  const line = `${new Date().toISOString()} ${level} ${redact(msg)}\n`;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    appendFileSync(path, line, { mode: 0o600 });
  } catch {
    // Nothing to do: the log is a help, not a duty.
  }
  return line;
}
