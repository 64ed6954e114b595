import type { Command } from "commander";
import { examples, type Context } from "../../context.js";
import { DaemonUnavailable } from "../../errors.js";
import { liveHolder } from "../../../process/pidfile.js";
import { TIMED_OUT, within } from "../../daemon/process.js";
import { showStatus } from "./status.js";

/** A daemon whose socket takes a connection but gives no status within this is hung. */
const ANSWER_TIMEOUT_MS = 2000;

interface Options {
  json?: boolean;
  foreground?: boolean;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("start")
    .description("start rescued in the background (other commands start it when needed)")
    .option("--foreground", "run it in this terminal, logging to stderr too, until Ctrl-C")
    .option("--json", "print the daemon status as JSON");
  examples(cmd, "rescue daemon start", "RESCUE_HOME=/tmp/profile2 rescue daemon start --json", "rescue daemon start --foreground");
  cmd.action((opts: Options) => run(ctx, opts));
}

async function run(ctx: Context, opts: Options): Promise<void> {
  if (opts.foreground) {
    const { main } = await import("../../../../daemon/main.js");
    const previous = process.env.RESCUE_HOME;
    process.env.RESCUE_HOME = ctx.paths.home;
    try {
      const code = await main(["node", "rescued", "--foreground"]);
      if (code !== 0) throw new Error(`rescued exited with code ${code}`);
    } finally {
      if (previous === undefined) delete process.env.RESCUE_HOME;
      else process.env.RESCUE_HOME = previous;
    }
    return;
  }
  const out = ctx.printer(opts);
  const client = await ctx.daemon({ autostart: false });
  let already = true;
  let first: Awaited<ReturnType<typeof client.status>> | typeof TIMED_OUT | undefined;
  try {
    first = await within(client.status(), ANSWER_TIMEOUT_MS);
  } catch (e) {
    if (!(e instanceof DaemonUnavailable)) throw e;
    already = false;
    const { startDaemon } = await import("../../daemon/spawn.js");
    await startDaemon(ctx.paths, ctx.io.env);
  }
  if (first === TIMED_OUT) {
    // Another daemon would not help: the pid file keeps this profile to the one that hangs.
    const holder = liveHolder(ctx.paths.lock);
    throw new DaemonUnavailable(`rescued${holder ? ` (pid ${holder.pid})` : ""} does not answer: stop it with rescue daemon stop`);
  }
  const status = await client.status();
  if (!opts.json) out.info(already ? `rescued is already running (pid ${status.pid})` : `rescued started (pid ${status.pid})`);
  if (opts.json || out.tty) showStatus(ctx, out, status);
}
