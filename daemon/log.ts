import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { appendLog, type Level } from "../src/profile/log-file.js";

export type { Level };

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export function fileLogger(path: string, alsoStderr: boolean): Logger {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const write = (level: Level, msg: string) => {
    const line = appendLog(path, level, msg);
    if (alsoStderr) process.stderr.write(line);
  };
  return {
    info: (m) => write("info", m),
    warn: (m) => write("warn", m),
    error: (m) => write("error", m),
  };
}
