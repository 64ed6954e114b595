import type { Command } from "commander";
import { examples, type Context } from "../../context.js";

/** mute and unmute share their shape: the technician's audio toward the customer. */
export function registerMute(parent: Command, ctx: Context, muted: boolean): void {
  const verb = muted ? "mute" : "unmute";
  const cmd = parent
    .command(verb)
    .description(muted ? "stop sending your audio to the customer" : "send your audio to the customer again")
    .argument("<id>", "session id")
    .option("--json", "print the audio figures as JSON");
  examples(cmd, `rescue session ${verb} k7m2qd9xw4hbte`);
  cmd.action(async (id: string, opts: { json?: boolean }) => {
    const audio = await (await ctx.daemon()).setMuted(id, muted);
    const out = ctx.printer(opts);
    if (opts.json) out.value({ id, muted: audio.muted });
    else out.line(out.tty ? `session ${id}: your audio is ${audio.muted ? "muted" : "on"}` : `${id}\t${audio.muted ? "muted" : "on"}`);
  });
}

export function register(parent: Command, ctx: Context): void {
  registerMute(parent, ctx, true);
}
