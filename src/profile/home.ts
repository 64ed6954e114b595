import { homedir } from "node:os";
import { join } from "node:path";

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
