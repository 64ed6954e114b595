import type { Command } from "commander";
import { examples, type Context } from "../../context.js";
import { ExitWith } from "../../errors.js";
import { recordingRef } from "./ref.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("open")
    .description("play a recording in the desktop player (mpv, else ffplay) until it ends or the window closes")
    .argument("<id|path>", "a session id (its segments, one after the other) or a recording's path")
    .option("--json", "print the played paths as JSON when done: {\"played\": [PATH, ...]}");
  examples(cmd, "rescue recordings open k7m2qd9xw4hbte", "rescue recordings open ./k7m2qd9xw4hbte-2026-11-30T07-12-00-000Z.webm");
  cmd.action((ref: string, opts: { json?: boolean }) => run(ctx, ref, opts));
}

async function run(ctx: Context, ref: string, opts: { json?: boolean }): Promise<void> {
  const segments = await (await ctx.daemon()).showRecordings(recordingRef(ref));
  const { playFileInWindow, desktopPlayer } = await import("../../view/window.js");
  const env = ctx.io.env as NodeJS.ProcessEnv;
  desktopPlayer(env, "recordings open", "the file is a WebM any video player opens"); // fail before playing anything
  const played: string[] = [];
  for (const s of segments) {
    const r = await playFileInWindow(env, s.path, `Rescue recording: ${s.session}`, ctx.io.signal, ctx.paths.log);
    if (r.interrupted) break;
    if (r.code !== 0) {
      ctx.io.stderr.write(`${r.player.split("/").pop()} could not play ${s.path}: ${r.failure ?? `exit ${r.code}`}\n`);
      throw new ExitWith(1);
    }
    played.push(s.path);
  }
  if (opts.json) ctx.printer(opts).value({ played });
}
