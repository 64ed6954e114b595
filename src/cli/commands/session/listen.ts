import type { Command } from "commander";
import { chmodSync, closeSync, openSync } from "node:fs";
import { resolve } from "node:path";
import { ECHO_NOTE, runFfmpeg } from "../../audio.js";
import { examples, type Context } from "../../context.js";
import { UsageError } from "../../errors.js";

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
    .option("--out <file.wav>", "write what would be played to a WAV file (48 kHz, 16-bit mono, mode 0600) instead")
    .option("--json", "print a summary as JSON when done");
  examples(
    cmd,
    "rescue session listen s_abc123",
    "rescue session listen s_abc123 --device alsa_output.usb-Headset-00.analog-stereo",
    "rescue session listen s_abc123 --out voice.wav   # QA, or no sound device; complete after Ctrl-C",
  );
  cmd.addHelpText("after", `\n${ECHO_NOTE}`);
  cmd.action((id: string, opts: Options) => listen(ctx, id, opts));
}

async function listen(ctx: Context, id: string, opts: Options): Promise<void> {
  if (opts.device !== undefined && opts.out !== undefined) throw new UsageError("--device and --out exclude each other: play, or write a file");
  const out = ctx.printer(opts);
  const path = opts.out === undefined ? undefined : resolve(opts.out);
  const audio = await (await ctx.daemon()).customerAudio(id);
  if (path) {
    // Customer media: only this user may read it (ffmpeg truncates the file and keeps its mode).
    closeSync(openSync(path, "w", 0o600));
    chmodSync(path, 0o600);
  }
  // Small probe, no analysis: ffmpeg starts decoding at the first packet instead of buffering seconds.
  const input = ["-probesize", "32", "-analyzeduration", "0", "-fflags", "nobuffer", "-f", "ogg", "-i", "pipe:0"];
  const output = path
    ? ["-ac", "1", "-ar", "48000", "-c:a", "pcm_s16le", "-f", "wav", "-y", path]
    : // 80 ms of playback buffer: without it PulseAudio keeps about 2 s (measured: 0.57 s buffer + 1.4 s sink).
      ["-ac", "1", "-f", "pulse", "-buffer_duration", "80", ...(opts.device ? ["-device", opts.device] : []), `rescue: customer of ${id}`];
  const ffmpeg = runFfmpeg(ctx.io.env, [...input, ...output], ["pipe", "ignore"]);
  let bytes = 0;
  audio.on("data", (chunk: Buffer) => (bytes += chunk.length));
  ffmpeg.child.stdin!.on("error", () => undefined); // ffmpeg gone: its exit says why
  audio.pipe(ffmpeg.child.stdin!);
  let endedBy = "session-ended";
  const stop = (): void => {
    endedBy = "interrupted";
    audio.unpipe();
    audio.destroy();
    // End of input: ffmpeg writes what it has and finishes the WAV header.
    ffmpeg.child.stdin!.end();
  };
  if (ctx.io.signal.aborted) stop();
  ctx.io.signal.addEventListener("abort", stop, { once: true });
  if (out.tty) out.info(`listening to the customer of ${id} ${path ? `into ${path}` : `on ${opts.device ?? "the default output"}`}; Ctrl-C to stop`);
  const { code, stderr } = await ffmpeg.exited;
  ctx.io.signal.removeEventListener("abort", stop);
  audio.destroy();
  if (code !== 0) throw new Error(`ffmpeg could not ${path ? `write ${path}` : `play on ${opts.device ?? "the default output"}`}: ${stderr || `exit ${code}`}`);
  const summary = { id, ...(path ? { out: path } : { device: opts.device ?? "default" }), bytes, endedBy };
  if (opts.json) out.value(summary);
  else if (out.tty) out.info(`stopped (${endedBy === "interrupted" ? "Ctrl-C" : "the session ended"})${path ? `: ${path}` : ""}`);
  else out.line([id, path ?? opts.device ?? "default", endedBy].join("\t"));
}
