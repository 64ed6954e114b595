import { spawn } from "node:child_process";
import { connect } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DaemonUnavailable } from "../errors.js";
import type { HomePaths } from "../../profile/home.js";
import { packageRoot } from "../../profile/package.js";
import { liveHolder } from "../../process/pidfile.js";
import { DAEMON_NODE_FLAGS } from "./node-flags.js";

/**
 * How long a daemon that is still starting is waited for. Loading it takes well under a second on
 * an idle machine but many seconds on a busy one; a daemon that fails exits, and is reported at
 * once, so a long wait only ever holds up a start that is really under way.
 */
const START_TIMEOUT_MS = 60_000;

function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(socket);
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

/** The message of the daemon log's last error line written since `since` (ISO time), if any. */
function lastError(log: string, since: string): string | null {
  try {
    const lines = readFileSync(log, "utf8").slice(-4096).trimEnd().split("\n");
    const line = lines.reverse().find((l) => / error /.test(l) && l.slice(0, since.length) >= since);
    return line ? line.replace(/^\S+ error /, "") : null;
  } catch {
    return null;
  }
}

/**
 * Starts rescued as a detached child for this RESCUE_HOME and waits until its socket answers.
 * Its output goes to its own log; a daemon that exits early is reported with that log's path.
 */
export async function startDaemon(paths: HomePaths, env: Record<string, string | undefined>): Promise<void> {
  const startedAt = new Date(Date.now() - 1000).toISOString();
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, join(packageRoot(), "bin", "rescued.js")], {
    detached: true,
    stdio: "ignore",
    env: { ...env, RESCUE_HOME: paths.home },
  });
  let exited: number | null = null;
  child.once("exit", (code) => (exited = code ?? 1));
  child.once("error", () => (exited = 1));
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await answers(paths.socket)) return;
    // Ours may have lost the race to another rescued starting for this RESCUE_HOME (another
    // command): then wait for that one's socket; otherwise ours failed.
    if (exited !== null) {
      const holder = liveHolder(paths.lock)?.pid ?? null;
      if (holder === null || holder === child.pid) {
        const why = lastError(paths.log, startedAt);
        throw new DaemonUnavailable(`rescued exited with code ${exited} while starting${why ? `: ${why}` : ""} (see ${paths.log})`);
      }
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const holder = liveHolder(paths.lock);
  if (holder && holder.pid !== child.pid) {
    throw new DaemonUnavailable(`rescued (pid ${holder.pid}) holds this RESCUE_HOME but does not answer on its socket: stop it with rescue daemon stop`);
  }
  throw new DaemonUnavailable(`rescued did not start within ${START_TIMEOUT_MS / 1000} s: see ${paths.log}`);
}
