import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { SERVER_BIN as BIN, startServerProcess } from "./server-process.js";

const ROOT = resolve(import.meta.dirname, "../..");

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

/** `rescue-server start --port 0 ARGS` as a child process; resolves with its URL once it logs the listening record. */
export async function startServerNode(args: string[], env: Record<string, string> = {}): Promise<ServerNode> {
  const { child, url, stderr, exited } = await startServerProcess(["--port", "0", ...args], env);
  return {
    url,
    wsUrl: url.replace(/^http/, "ws"),
    child,
    stderr,
    stop: () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}
