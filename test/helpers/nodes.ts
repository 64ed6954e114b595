import { spawn, type ChildProcess } from "node:child_process";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/rescue-server.js");

export interface ServerNode {
  url: string;
  wsUrl: string;
  child: ChildProcess;
  /** Everything the node wrote on stderr so far (its log included). */
  stderr(): string;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

/** `rescue-server ARGS` as the CLI runs it (built bin/), to completion. */
export function runServerCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

/** `rescue-server start ARGS` as a child process; resolves with its URL once it prints the listening line. */
export function startServerNode(args: string[], env: Record<string, string> = {}): Promise<ServerNode> {
  const child = spawn(process.execPath, [BIN, "start", "--port", "0", ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let stderr = "";
  const exited = new Promise<number | null>((r) => child.on("close", r));
  return new Promise((resolveStart, reject) => {
    child.stderr.on("data", (d) => {
      const before = stderr;
      stderr += d;
      // Piped, the server logs JSON lines: the URL is in the "listening on" record.
      const m = /"msg":"listening on (https?:\/\/[^"\s]+)"/.exec(stderr);
      if (m && !/"msg":"listening on /.test(before)) {
        resolveStart({
          url: m[1]!,
          wsUrl: m[1]!.replace(/^http/, "ws"),
          child,
          stderr: () => stderr,
          stop: () => {
            if (child.exitCode === null) child.kill("SIGTERM");
            return exited;
          },
        });
      }
    });
    exited.then((code) => reject(new Error(`rescue-server start exited ${code}: ${stderr}`)));
  });
}
