import type { Command } from "commander";
import { examples, type Context } from "../../context.js";
import { DaemonUnavailable } from "../../errors.js";

const STOP_TIMEOUT_MS = 5000;

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("stop")
    .description("stop rescued (live sessions stay on the server; a new daemon picks them up)")
    .option("--json", "print the result as JSON");
  examples(cmd, "rescue daemon stop");
  cmd.action((opts: { json?: boolean }) => run(ctx, opts));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function run(ctx: Context, opts: { json?: boolean }): Promise<void> {
  const out = ctx.printer(opts);
  const client = await ctx.daemon({ autostart: false });
  let pid: number;
  try {
    pid = (await client.status()).pid;
    await client.shutdown();
  } catch (e) {
    if (!(e instanceof DaemonUnavailable)) throw e;
    if (opts.json) out.value({ stopped: false, running: false });
    else out.info("rescued is not running");
    return;
  }
  // The daemon answers before it exits: wait for the process, so a following start gets a clean slate.
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  if (alive(pid)) throw new Error(`rescued (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s`);
  if (opts.json) out.value({ stopped: true, pid });
  else out.info(`rescued stopped (pid ${pid})`);
}
