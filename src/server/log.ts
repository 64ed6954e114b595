import { createRequire } from "node:module";
import { pino, type Logger } from "pino";
import type PinoPretty from "pino-pretty";

// Loaded only for readable logs: services log JSON and need not pay for it at start.
const requireCjs = createRequire(import.meta.url);

export type LogFormat = "json" | "pretty";
export const LOG_FORMATS: readonly LogFormat[] = ["json", "pretty"];

/**
 * Fields never written to the log, whatever a call site passes: tokens, passwords, PINs (the
 * session log is their only record), resume credentials, carrier secrets.
 */
export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "password",
  "token",
  "pin",
  "resume",
  "authToken",
  "secret",
  "*.password",
  "*.token",
  "*.pin",
  "*.resume",
  "*.authToken",
  "*.secret",
];

/** JSON lines for log collectors (stderr is a pipe or a file), readable lines on a terminal. */
export function defaultLogFormat(stream: { isTTY?: boolean } = process.stderr): LogFormat {
  return stream.isTTY ? "pretty" : "json";
}

/**
 * The server's one logger, on stderr. Every line has a level and a time: JSON lines carry
 * `level` (pino's number), `time` (epoch ms) and `msg`; pretty lines read `HH:MM:ss.l LEVEL: msg`
 * with the fields after. `level` is pino's: fatal, error, warn, info, debug or silent.
 */
export function serverLogger(opts: { level: string; format?: LogFormat; destination?: NodeJS.WritableStream }): Logger {
  const destination = opts.destination ?? process.stderr;
  const format = opts.format ?? defaultLogFormat(destination as { isTTY?: boolean });
  const base = { level: opts.level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } };
  if (format === "json") return pino(base, destination);
  const colorize = Boolean((destination as { isTTY?: boolean }).isTTY) && !process.env.NO_COLOR;
  // Synchronous, on this thread: a line is out before the process exits.
  const pretty = requireCjs("pino-pretty") as typeof PinoPretty;
  return pino(base, pretty({ destination, colorize, sync: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" }));
}
