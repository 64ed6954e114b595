import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { examples, type Context } from "../../context.js";
import { DaemonUnavailable, DaemonVersionMismatch } from "../../errors.js";

const STOP_TIMEOUT_MS = 5000;

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("stop")
    .description("stop rescued (live sessions stay on the server; a new daemon picks them up)")
    .option("--json", "print the result as JSON");
  examples(cmd, "rescue daemon stop");
  cmd.action((opts: { json?: boolean }) => run(ctx, opts));
}


async function run(ctx: Context, opts: { json?: boolean }): Promise<void> {
  const out = ctx.printer(opts);
  const client = await ctx.daemon({ autostart: false });
  let pid: number;
  try {
    pid = (await client.status()).pid;
    await client.shutdown();
  } catch (e) {
    if (e instanceof DaemonVersionMismatch) {
      // A daemon of another version cannot be asked over the API: signal it by its pid file.
      pid = Number.parseInt(readFileSync(ctx.paths.lock, "utf8"), 10);
      process.kill(pid, "SIGTERM");
    } else if (e instanceof DaemonUnavailable) {
      if (opts.json) out.value({ stopped: false, running: false });
      else out.info("rescued is not running");
      return;
    } else {
      throw e;
    }
  }
  // The daemon answers before it exits: wait until it has released its pid file, so a following
  // start gets a clean slate. (Its process may linger a moment as a zombie until it is reaped.)
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  const running = () => existsSync(ctx.paths.lock);
  while (running() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  if (running()) throw new Error(`rescued (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s`);
  if (opts.json) out.value({ stopped: true, pid });
  else out.info(`rescued stopped (pid ${pid})`);
}
