import type { Command } from "commander";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { examples, type Context } from "../../context.js";
import { UsageError } from "../../errors.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("talk")
    .description("send your voice to the customer: play an Ogg/Opus file on the session's audio (VoIP)")
    .argument("<id>", "session id")
    .requiredOption("--audio <file.ogg>", "Ogg/Opus file to play to the customer")
    .option("--json", "print the result as JSON");
  examples(cmd, "rescue session talk s_abc123 --audio hello.ogg", "rescue session stats s_abc123 --json   # audio.sentPackets grows");
  cmd.action(async (id: string, opts: { audio: string; json?: boolean }) => {
    const audioPath = resolve(opts.audio);
    if (!existsSync(audioPath)) throw new UsageError(`--audio ${opts.audio}: no such file`);
    const res = await (await ctx.daemon()).talk(id, audioPath);
    const out = ctx.printer(opts);
    if (opts.json) out.value({ id, playing: res.playing });
    else out.line(out.tty ? `playing ${res.playing} to the customer of ${id}` : `${id}\t${res.playing}`);
  });
}
