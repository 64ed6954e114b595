import { existsSync } from "node:fs";
import { rescueHome, homePaths } from "../src/profile/home.js";
import { ownPrivateDir } from "../src/profile/private-dir.js";
import { acquire, AlreadyRunning } from "./lock.js";
import { fileLogger } from "./log.js";
import { daemonSettings, type DaemonSettings } from "./settings.js";

const USAGE =
  "usage: rescued [--foreground]\n  Runs the Rescue technician daemon for RESCUE_HOME (default ~/.rescue).\n" +
  "  RESCUE_ICE_HOST_ADDRESSES=ADDR[,ADDR...] adds local addresses to the WebRTC host candidates.\n";

/** rescued: one daemon per RESCUE_HOME, serving the local API until stopped. */
export async function main(argv: string[]): Promise<number> {
  const args = argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(USAGE);
    return 0;
  }
  const unknown = args.filter((a) => a !== "--foreground");
  if (unknown.length) {
    process.stderr.write(`rescued: unknown argument ${unknown[0]}\n${USAGE}`);
    return 2;
  }
  const foreground = args.includes("--foreground");
  // Everything the daemon writes (recordings, snapshots, logs) is customer media or private:
  // files 0600, folders 0700, including those ffmpeg creates for us.
  process.umask(0o077);
  const paths = homePaths(rescueHome());
  // Folders that exist already keep no looser mode than the umask would have given them.
  const tightened = [paths.home, paths.logsDir, ...[paths.recordings, paths.snapshots].filter((p) => existsSync(p))].map(ownPrivateDir);
  const log = fileLogger(paths.log, foreground);
  for (const t of tightened) if (t) log.warn(`${t}, now 0700: it holds recordings and private files`);
  let settings: DaemonSettings;
  try {
    settings = daemonSettings(process.env);
  } catch (e) {
    // Started by the CLI, nobody sees stderr: the log says why, and the CLI quotes its last line.
    log.error(`cannot start: ${(e as Error).message}`);
    if (!foreground) process.stderr.write(`rescued: ${(e as Error).message}\n`);
    return 2;
  }

  let release: () => void;
  try {
    ownPrivateDir(paths.runDir);
    release = await acquire(paths.lock, paths.socket);
  } catch (e) {
    const msg = e instanceof AlreadyRunning ? e.message : `cannot start: ${(e as Error).message}`;
    process.stderr.write(`rescued: ${msg}\n`);
    log.warn(msg);
    return 1;
  }

  // Loaded only once the lock is ours: a second daemon is refused before it loads werift.
  const { Daemon } = await import("./daemon.js");
  const daemon = new Daemon(paths, log, settings);
  const onSignal = (sig: NodeJS.Signals) => void daemon.shutdown(`signal ${sig}`);
  // Detached, nobody sees stderr: a crash is written to the log and the socket is left clean.
  const onCrash = (err: unknown) => {
    log.error(`crashed: ${(err as Error)?.stack ?? String(err)}`);
    release();
    process.exit(1);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  try {
    try {
      await daemon.start();
    } catch (e) {
      log.error(`cannot start: ${(e as Error).message}`);
      process.stderr.write(`rescued: cannot start: ${(e as Error).message}\n`);
      await daemon.shutdown("start failed");
      return 1;
    }
    await daemon.whenStopped();
    log.info("stopped");
  } finally {
    release();
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    process.off("uncaughtException", onCrash);
    process.off("unhandledRejection", onCrash);
  }
  return 0;
}
