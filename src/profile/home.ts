import { statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

type Env = Record<string, string | undefined>;

/**
 * The one folder that holds every file of the tool: config.json, secrets.json (the token where no
 * keychain runs), run/ (the daemon's socket and pid), logs/, recordings/, snapshots/. RESCUE_HOME
 * when set, else $XDG_CONFIG_HOME/rescue, else ~/.rescue. The files stay together rather than
 * spread over the XDG data, state and runtime folders: a profile is moved, backed up, isolated
 * (RESCUE_HOME=DIR) or removed as one folder, and one daemon serves one folder.
 */
export function rescueHome(env: Env = process.env): string {
  if (env.RESCUE_HOME) return env.RESCUE_HOME;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, "rescue");
  return join(homedir(), ".rescue");
}

/**
 * Why `home` (rescueHome's answer) cannot be the tool's folder, in words for people, or undefined
 * when it is a folder or can be made one: it, or a folder above it, is a file (mkdir would fail
 * with EEXIST or ENOTDIR). `env` says whether RESCUE_HOME chose it.
 */
export function homeProblem(home: string, env: Env = process.env): string | undefined {
  const named = env.RESCUE_HOME ? `RESCUE_HOME ${home}` : `${home} (the tool's folder; RESCUE_HOME picks another)`;
  for (let p = home; ; p = dirname(p)) {
    let st;
    try {
      st = statSync(p, { throwIfNoEntry: false });
    } catch (e) {
      // ENOTDIR: a folder above is a file; found as the walk goes up.
      if ((e as NodeJS.ErrnoException).code !== "ENOTDIR") return undefined;
    }
    if (st) {
      if (st.isDirectory()) return undefined;
      return p === home ? `${named} is not a folder` : `${named} cannot be made: ${p} is not a folder`;
    }
    if (dirname(p) === p) return undefined;
  }
}

export interface HomePaths {
  home: string;
  runDir: string;
  socket: string;
  lock: string;
  logsDir: string;
  log: string;
  recordings: string;
  /** PNG stills of the live video (`session snapshot`). */
  snapshots: string;
  secrets: string;
}

export function homePaths(home: string): HomePaths {
  const runDir = join(home, "run");
  const logsDir = join(home, "logs");
  return {
    home,
    runDir,
    socket: join(runDir, "rescued.sock"),
    lock: join(runDir, "rescued.pid"),
    logsDir,
    log: join(logsDir, "rescued.log"),
    recordings: join(home, "recordings"),
    snapshots: join(home, "snapshots"),
    secrets: join(home, "secrets.json"),
  };
}
