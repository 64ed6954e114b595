import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

export type Level = "info" | "warn" | "error";

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** Bearer tokens, passwords and API keys must never reach the log, whatever a message carries. */
function redact(msg: string): string {
  return msg
    .replace(/(bearer\s+)[^\s"']+/gi, "$1[redacted]")
    .replace(/\brk_[A-Za-z0-9_-]{43}/g, "rk_[redacted]")
    .replace(/("?(?:password|token)"?\s*[:=]\s*)("[^"]*"|[^\s,}]+)/gi, "$1[redacted]");
}

export function fileLogger(path: string, alsoStderr: boolean): Logger {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const write = (level: Level, msg: string) => {
    const line = `${new Date().toISOString()} ${level} ${redact(msg)}\n`;
    try {
      appendFileSync(path, line, { mode: 0o600 });
    } catch {
      // A full disk must not take the daemon down.
    }
    if (alsoStderr) process.stderr.write(line);
  };
  return {
    info: (m) => write("info", m),
    warn: (m) => write("warn", m),
    error: (m) => write("error", m),
  };
}
