import type { Command } from "commander";
import { resolve } from "node:path";
import { examples, type Context } from "../../context.js";
import { UsageError } from "../../errors.js";
import { requireStarted } from "./started.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("snapshot")
    .description("save the customer's current video frame as a PNG (noted in the session log; needs the record permission)")
    .argument("<id>", "session id")
    .option("--out <file.png>", "where to write it (default: RESCUE_HOME/snapshots/ID-TIME.png)")
    .option("--json", 'print {"path", "width", "height", "at"}');
  examples(cmd, "rescue session snapshot k7m2qd9xw4hbte", "rescue session snapshot k7m2qd9xw4hbte --out router.png --json");
  cmd.action(async (id: string, opts: { out?: string; json?: boolean }) => {
    if (opts.out !== undefined && !opts.out.toLowerCase().endsWith(".png")) throw new UsageError(`--out ${opts.out}: a .png file`);
    const daemon = await ctx.daemon();
    // Before the start there is no picture: the same words as view and listen.
    requireStarted(await daemon.getSession(id));
    const shot = await daemon.snapshot(id, opts.out === undefined ? undefined : resolve(opts.out));
    const out = ctx.printer(opts);
    if (opts.json) out.value(shot);
    else out.line(out.tty ? `saved ${shot.width}x${shot.height} to ${shot.path}` : shot.path);
  });
}
