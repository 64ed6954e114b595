import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { RescueError } from "../../protocol/index.js";
import { formatPidRecord, liveHolder, pidRecord, readPidFile } from "../../process/pidfile.js";

/** The file in a data folder that names the `rescue-server start` serving it: `PID START`. */
export const SERVER_PID_FILE = "server.pid";

/**
 * Claims `dataDir` for this process, so that a second `rescue-server start` on the same folder
 * is refused instead of taking the first one's live sessions for orphans and aborting them.
 * A pid file whose process is gone (a crash, kill -9) is taken over. Returns the release
 * function. Throws conflict naming the holder's pid.
 */
export function claimDataFolder(dataDir: string): () => void {
  const path = join(dataDir, SERVER_PID_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, formatPidRecord(pidRecord()));
      closeSync(fd);
      return () => {
        // Only our own record goes: a later server may have taken a folder we were thought gone from.
        if (readPidFile(path)?.pid === process.pid) rmSync(path, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = liveHolder(path);
      if (holder && holder.pid !== process.pid) {
        throw new RescueError("conflict", `another rescue-server (pid ${holder.pid}) is serving ${dataDir}; stop it first, or give this one its own --data`);
      }
      rmSync(path, { force: true }); // left by a server that is gone
    }
  }
  throw new RescueError("conflict", `cannot claim ${dataDir}: ${path} keeps coming back`);
}
