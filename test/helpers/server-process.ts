import { spawn, type ChildProcess } from "node:child_process";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
export const SERVER_BIN = join(ROOT, "bin/rescue-server.js");

export interface ServerProcess {
  child: ChildProcess;
  /** The URL of the "listening on" record. */
  url: string;
  stderr(): string;
  /** stderr's JSON log records so far (the process logs JSON lines to a pipe). */
  records(): Record<string, any>[];
  exited: Promise<number | null>;
}

/** Parses JSON log lines; a line that is not JSON fails the test that reads it. */
export function logRecords(text: string): Record<string, any>[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, any>;
      } catch {
        throw new Error(`not a JSON log line: ${l}`);
      }
    });
}

/** The URL of the first "listening on" record in a server's piped (JSON) stderr, once it is there. */
export function listeningUrl(stderr: string): string | undefined {
  return /"msg":"listening on (https?:\/\/[^"\s]+)"/.exec(stderr)?.[1];
}

/** Runs `rescue-server start ARGS` (stderr piped, so JSON logs) and resolves once it logs where it listens. */
export function startServerProcess(args: string[], env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [SERVER_BIN, "start", ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let stderr = "";
  const exited = new Promise<number | null>((r) => child.on("close", r));
  return new Promise((resolveStart, reject) => {
    child.stderr.on("data", (d) => {
      stderr += d;
      const url = listeningUrl(stderr);
      if (url) resolveStart({ child, url, stderr: () => stderr, records: () => logRecords(stderr), exited });
    });
    exited.then((code) => reject(new Error(`start exited ${code}: ${stderr}`)));
  });
}
