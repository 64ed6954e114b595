import type { Command } from "commander";
import { liveHolder, pidRecord, readPidFile, type PidRecord } from "../../../process/pidfile.js";
import { examples, type Context } from "../../context.js";
import { DaemonUnavailable } from "../../errors.js";
import { awaitExit, TIMED_OUT, within } from "../../daemon/process.js";
import { liveSessionsOf, liveSessionsText } from "../live-sessions.js";

/** How long the daemon has to finish (recordings finalised, sockets closed) before it is killed. */
const STOP_TIMEOUT_MS = 5000;
/** A daemon that does not answer its local API within this is stopped by signal. */
const ANSWER_TIMEOUT_MS = 2000;

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("stop")
    .description(
      `stop rescued, waiting until its process is gone (killed after ${STOP_TIMEOUT_MS / 1000} s); live sessions keep running on the server and a new daemon adopts them (a new connection, the recording's next segment)`,
    )
    .option("--json", "print the result as JSON");
  examples(cmd, "rescue daemon stop");
  cmd.action((opts: { json?: boolean }) => run(ctx, opts));
}

/** The daemon's record: from its pid file when that names `pid`, else read from /proc now. */
function recordOf(ctx: Context, pid: number): PidRecord {
  const held = readPidFile(ctx.paths.lock);
  return held?.pid === pid ? held : pidRecord(pid);
}

/** Asks the daemon over its local API; null when it cannot be asked (down, another version, not answering). */
async function askToStop(ctx: Context): Promise<PidRecord | null> {
  const client = await ctx.daemon({ autostart: false });
  try {
    const status = await within(client.status(), ANSWER_TIMEOUT_MS);
    if (status === TIMED_OUT) return null;
    const target = recordOf(ctx, status.pid);
    await warnOfLiveMedia(ctx, client);
    if ((await within(client.shutdown(), ANSWER_TIMEOUT_MS)) === TIMED_OUT) return null;
    return target;
  } catch (e) {
    if (e instanceof DaemonUnavailable) return null;
    throw e;
  }
}

/** Sessions whose media runs through this daemon pause until a daemon runs again: say which, on stderr. */
async function warnOfLiveMedia(ctx: Context, client: Awaited<ReturnType<Context["daemon"]>>): Promise<void> {
  const live = await liveSessionsOf(client);
  if (live.length === 0) return;
  ctx.io.stderr.write(
    `warning: the media and recording of ${liveSessionsText(live)} pause until rescued runs again; it then adopts ${live.length === 1 ? "it" : "them"} (the recording goes on in a new segment)\n`,
  );
}

async function run(ctx: Context, opts: { json?: boolean }): Promise<void> {
  const out = ctx.printer(opts);
  let target = await askToStop(ctx);
  if (!target) {
    // No answer, another version, or no socket: the pid file still says whether a daemon holds the profile.
    target = liveHolder(ctx.paths.lock);
    if (!target) {
      if (opts.json) out.value({ stopped: false, running: false });
      else out.info("rescued is not running");
      return;
    }
    try {
      process.kill(target.pid, "SIGTERM");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
    }
  }
  // Stopped means the process is gone, not that it said it would go.
  const { killed } = await awaitExit(ctx.paths, target, STOP_TIMEOUT_MS);
  const pid = target.pid;
  if (opts.json) out.value({ stopped: true, pid, ...(killed ? { killed: true } : {}) });
  if (killed) out.info(`rescued (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s: killed it (SIGKILL)`);
  else if (!opts.json) out.info(`rescued stopped (pid ${pid})`);
}
