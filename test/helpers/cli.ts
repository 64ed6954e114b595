import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { main } from "../../src/cli/main.js";
import type { IO } from "../../src/cli/io.js";
import type { Permission } from "../../src/protocol/index.js";
import type { Account, TestServer } from "./server.js";
import { runs } from "./processes.js";

const ROOT = join(import.meta.dirname, "..", "..");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json<T = any>(): T;
}

function cliResult(code: number, stdout: string, stderr: string): CliResult {
  return {
    code,
    stdout,
    stderr,
    json() {
      try {
        return JSON.parse(stdout);
      } catch {
        throw new Error(`not JSON (exit ${code}): ${stdout}\nstderr: ${stderr}`);
      }
    },
  };
}

/** A temporary RESCUE_HOME; short, because unix socket paths are limited to ~100 bytes. */
export function makeHome(): string {
  if (!existsSync(join(ROOT, "dist", "daemon", "main.js"))) throw new Error("dist/ is missing: run npx tsc -p tsconfig.json first");
  return mkdtempSync(join(tmpdir(), "rh-"));
}

/** Runs `rescue ARGS` in-process, without a TTY, with its own RESCUE_HOME. */
export async function rescue(home: string, args: string[], opts: { stdin?: string; env?: Record<string, string>; signal?: AbortSignal; tty?: boolean; onStdout?: (soFar: string) => void } = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const io: IO = {
    stdin: Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]),
    stdout: {
      write: (s: string, done?: () => void) => {
        stdout += s;
        opts.onStdout?.(stdout);
        if (done) setImmediate(done);
      },
    },
    stderr: { write: (s: string) => (stderr += s) },
    stdinIsTTY: false,
    stdoutIsTTY: opts.tty ?? false,
    env: { ...process.env, RESCUE_HOME: home, ...opts.env },
    now: () => Date.now(),
    signal: opts.signal ?? new AbortController().signal,
  };
  const code = await main(["node", "rescue", ...args], io);
  return cliResult(code, stdout, stderr);
}

export function daemonPid(home: string): number | null {
  const file = join(home, "run", "rescued.pid");
  if (!existsSync(file)) return null;
  const pid = Number.parseInt(readFileSync(file, "utf8"), 10);
  return Number.isFinite(pid) ? pid : null;
}

/** Stops the daemon of this home (if any) by its pid and waits for it to exit. */
export async function killDaemon(home: string, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  const pid = daemonPid(home);
  if (!pid || !runs(pid)) return;
  process.kill(pid, signal);
  // The pid file goes when the daemon is done; its process may stay a zombie until reaped.
  const lock = join(home, "run", "rescued.pid");
  const deadline = Date.now() + 5000;
  while (existsSync(lock) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (existsSync(lock) && runs(pid)) process.kill(pid, "SIGKILL");
}

/** Stops the daemon and removes the home folder. */
export async function dropHome(home: string): Promise<void> {
  await killDaemon(home);
  rmSync(home, { recursive: true, force: true });
}

/** Logs in with the CLI (password on stdin, as scripts do). */
export async function cliLogin(home: string, server: string, email: string, password: string): Promise<CliResult> {
  const r = await rescue(home, ["login", "--server", server, "--email", email, "--password-stdin", "--json"], { stdin: `${password}\n` });
  if (r.code !== 0) throw new Error(`login failed (${r.code}): ${r.stderr}`);
  return r;
}

/** A fresh RESCUE_HOME whose CLI is logged in as a new technician with exactly these permissions. */
export async function loggedInHome(server: TestServer, permissions: Permission[]): Promise<{ home: string; tech: Account }> {
  const tech = await server.technician(permissions);
  const home = makeHome();
  await cliLogin(home, server.url, tech.email, tech.password);
  return { home, tech };
}

export interface RescueProcess {
  child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves when it exits, with its code and output. */
  done: Promise<CliResult>;
}

/** `bin/rescue.js ARGS` as its own process (for real signals), with its own RESCUE_HOME. */
export function spawnRescue(home: string, args: string[], env: Record<string, string> = {}, opts: { stdin?: string } = {}): RescueProcess {
  const child = spawn(process.execPath, [join(ROOT, "bin", "rescue.js"), ...args], {
    env: { ...process.env, RESCUE_HOME: home, ...env },
    stdio: [opts.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) =>
    child.on("close", (code) => resolve(cliResult(code ?? -1, stdout, stderr))),
  );
  return { child, stderr: () => stderr, done };
}
