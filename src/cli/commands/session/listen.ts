import type { Command } from "commander";
import { resolve } from "node:path";
import { ECHO_NOTE, NO_SOUND_SERVER_NOTE } from "../../audio.js";
import { examples, type Context } from "../../context.js";
import { UsageError } from "../../errors.js";
import { startListening } from "../../voice.js";
import { requireStarted } from "./started.js";

interface Options {
  device?: string;
  out?: string;
  json?: boolean;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("listen")
    .description("hear the customer: play the session's incoming voice on your speakers until Ctrl-C or the session ends")
    .argument("<id>", "session id")
    .option("--device <name>", "PulseAudio/PipeWire sink to play on (default: the default output; see pactl list short sinks)")
    .option("--out <file.wav>", "write what would be played to a WAV file (48 kHz, 16-bit mono, mode 0600) instead; needs the record permission, noted in the session log")
    .option("--json", "print a summary as JSON when done");
  examples(
    cmd,
    "rescue session listen k7m2qd9xw4hbte",
    "rescue session listen k7m2qd9xw4hbte --device alsa_output.usb-Headset-00.analog-stereo",
    "rescue session listen k7m2qd9xw4hbte --out voice.wav   # QA, or no sound device; complete after Ctrl-C",
  );
  cmd.addHelpText("after", `\n${NO_SOUND_SERVER_NOTE}\n${ECHO_NOTE}`);
  cmd.action((id: string, opts: Options) => listen(ctx, id, opts));
}

async function listen(ctx: Context, id: string, opts: Options): Promise<void> {
  if (opts.device !== undefined && opts.out !== undefined) throw new UsageError("--device and --out exclude each other: play, or write a file");
  const out = ctx.printer(opts);
  const path = opts.out === undefined ? undefined : resolve(opts.out);
  const daemon = await ctx.daemon();
  // Before the start no sound comes (the customer's page sends none): say so, before any file is made.
  requireStarted(await daemon.getSession(id));
  const run = await startListening(ctx.io.env, daemon, id, { out: path, device: opts.device }, ctx.paths.log);
  // Ctrl-C is the normal end: exit 0 once ffmpeg has finished the file.
  const stop = (): void => run.stop();
  if (ctx.io.signal.aborted) stop();
  ctx.io.signal.addEventListener("abort", stop, { once: true });
  if (out.tty) out.info(`listening to the customer of ${id} ${path ? `into ${path}` : `on ${opts.device ?? "the default output"}`}; Ctrl-C to stop`);
  let result;
  try {
    result = await run.done;
  } finally {
    ctx.io.signal.removeEventListener("abort", stop);
  }
  const endedBy = result.endedBy === "stopped" ? "interrupted" : result.endedBy;
  const summary = { id, ...(path ? { out: path } : { device: opts.device ?? "default" }), bytes: result.bytes, endedBy };
  if (opts.json) out.value(summary);
  else if (out.tty) out.info(`stopped (${endedBy === "interrupted" ? "Ctrl-C" : "the session ended"})${path ? `: ${path}` : ""}`);
  else out.line([id, path ?? opts.device ?? "default", endedBy].join("\t"));
}
