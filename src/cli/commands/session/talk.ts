import type { Command } from "commander";
import { ECHO_NOTE, NO_SOUND_SERVER_NOTE } from "../../audio.js";
import { examples, type Context } from "../../context.js";
import { UsageError } from "../../errors.js";
import { playAudioFile } from "../../talk-file.js";
import { startMicrophone } from "../../voice.js";

interface Options {
  audio?: string;
  mic?: boolean;
  device?: string;
  json?: boolean;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("talk")
    .description("send your voice to the customer: your microphone live (--mic), or an audio file (--audio)")
    .argument("<id>", "session id")
    .option("--mic", "send your microphone (PulseAudio/PipeWire) as Opus until Ctrl-C")
    .option("--device <name>", "with --mic: the source to record (default: the default input; see pactl list short sources)")
    .option("--audio <file>", "play a file once: Ogg/Opus as it is, WAV, MP3, FLAC ... converted with ffmpeg")
    .option("--json", "print the result as JSON");
  examples(
    cmd,
    "rescue session talk k7m2qd9xw4hbte --mic            # until Ctrl-C; rescue session mute/unmute k7m2qd9xw4hbte meanwhile",
    "rescue session talk k7m2qd9xw4hbte --mic --device alsa_input.usb-Headset-00.mono-fallback",
    "rescue session talk k7m2qd9xw4hbte --audio hello.ogg",
    "rescue session talk k7m2qd9xw4hbte --audio hello.wav",
    "rescue session stats k7m2qd9xw4hbte --json   # audio.sentPackets grows",
  );
  cmd.addHelpText("after", `\n${NO_SOUND_SERVER_NOTE}\n${ECHO_NOTE}`);
  cmd.action(async (id: string, opts: Options) => {
    if (opts.mic && opts.audio !== undefined) throw new UsageError("--mic and --audio exclude each other: talk live, or play a file");
    if (!opts.mic && opts.audio === undefined) throw new UsageError("say what to send: --mic (live) or --audio FILE");
    if (opts.device !== undefined && !opts.mic) throw new UsageError("--device goes with --mic");
    if (opts.mic) return talkLive(ctx, id, opts);
    return talkFile(ctx, id, opts.audio!, opts);
  });
}

/** Ogg/Opus goes as it is; anything ffmpeg decodes is converted first; anything else is refused (exit 2). */
async function talkFile(ctx: Context, id: string, file: string, opts: Options): Promise<void> {
  const audioPath = await playAudioFile(ctx.io.env, await ctx.daemon(), id, file, ctx.paths.log);
  const out = ctx.printer(opts);
  if (opts.json) out.value({ id, playing: audioPath });
  else out.line(out.tty ? `playing ${audioPath} to the customer of ${id}` : `${id}\t${audioPath}`);
}

/** The microphone through ffmpeg (PulseAudio input, Opus encoder) streamed to the daemon until Ctrl-C. */
async function talkLive(ctx: Context, id: string, opts: Options): Promise<void> {
  const out = ctx.printer(opts);
  const run = await startMicrophone(ctx.io.env, await ctx.daemon(), id, opts.device, ctx.paths.log);
  const stop = (): void => run.stop();
  if (ctx.io.signal.aborted) stop();
  ctx.io.signal.addEventListener("abort", stop, { once: true });
  if (out.tty) out.info(`talking to the customer of ${id} from ${opts.device ?? "the default input"}; Ctrl-C to stop (rescue session mute ${id} pauses)`);
  let result;
  try {
    result = await run.done;
  } finally {
    ctx.io.signal.removeEventListener("abort", stop);
  }
  const summary = { id, device: opts.device ?? "default", ...result };
  if (opts.json) out.value(summary);
  else if (out.tty) out.info(`stopped: ${result.sentPackets} packets sent (${result.endedBy === "upload-ended" ? "Ctrl-C" : "the session ended"})`);
  else out.line([id, result.receivedPackets, result.sentPackets, result.endedBy].join("\t"));
}
