import { spawn, type ChildProcess } from "node:child_process";
import { ffmpegPath } from "../media/ffmpeg.js";
import { firstReason, logTool } from "./sound-failure.js";

/** Said in `--help` of listen and talk, and in the README: what Rescue does about echo. */
export const ECHO_NOTE =
  "Echo: Rescue does not cancel echo itself. Use a headset (the default it is built for). Without one,\n" +
  "route both directions through PulseAudio's echo canceller:\n" +
  "  pactl load-module module-echo-cancel aec_method=webrtc source_name=ec_mic sink_name=ec_out\n" +
  "  rescue session listen ID --device ec_out   and   rescue session talk ID --mic --device ec_mic\n";

/** Said in `--help` of listen and talk: what happens without a sound server, and where ffmpeg's messages go. */
export const NO_SOUND_SERVER_NOTE =
  "Without a reachable sound server it exits 1 with one line saying so; ffmpeg's own messages go to\n" +
  "RESCUE_HOME/logs/rescued.log. Check with: pactl info\n";

/** Opus as WebRTC voice wants it: mono 48 kHz, 20 ms frames, a page per packet (ffmpeg's Ogg default is a page a second). */
export const OPUS_VOICE_OUT = [
  "-ac", "1", "-ar", "48000", "-c:a", "libopus", "-b:a", "32k", "-application", "voip", "-frame_duration", "20",
  "-f", "ogg", "-page_duration", "20000", "-flush_packets", "1",
];

export interface FfmpegRun {
  child: ChildProcess;
  /** Settles when ffmpeg has exited: its exit code (null after a signal) and the tail of its stderr. */
  exited: Promise<{ code: number | null; stderr: string }>;
}

/**
 * Runs ffmpeg (ffmpegPath: RESCUE_FFMPEG or PATH) with `args`, quiet except for errors. It gets
 * its own process group, so a Ctrl-C on the terminal reaches only us and we end it in order
 * (closing its input, or SIGINT), which lets it finish its output file.
 */
export function runFfmpeg(env: Record<string, string | undefined>, args: string[], stdio: ("pipe" | "ignore")[]): FfmpegRun {
  const child = spawn(ffmpegPath(env), ["-hide_banner", "-nostats", "-loglevel", "error", ...args], {
    env: env as NodeJS.ProcessEnv,
    stdio: [stdio[0]!, stdio[1]!, "pipe"],
    detached: true,
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (d: string) => (stderr = (stderr + d).slice(-2000)));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.once("error", (e) => resolve({ code: -1, stderr: e.message }));
    child.once("close", (code) => resolve({ code, stderr: stderr.trim() }));
  });
  return { child, exited };
}

/**
 * Checks that ffmpeg can decode the file's first audio stream (one frame of it). Resolves with
 * null when it can, or the reason (ffmpeg's own message) when it cannot.
 */
export async function unreadableAudio(env: Record<string, string | undefined>, file: string): Promise<string | null> {
  const probe = runFfmpeg(env, ["-nostdin", "-i", file, "-map", "0:a:0", "-frames:a", "1", "-f", "null", "-"], ["ignore", "ignore"]);
  const { code, stderr } = await probe.exited;
  if (code === 0) return null;
  const lines = stderr.split("\n").filter(Boolean);
  return lines.at(-1)?.replace(/^.*?: /, "") ?? `ffmpeg exited ${code}`;
}

/**
 * Converts any audio file ffmpeg reads to Ogg/Opus voice at `out` (which should exist with mode
 * 0600). When ffmpeg fails (a full disk, a stream that breaks after the first frame) its raw lines
 * go to `log` (the profile's, HomePaths.log) and the Error says its first reason in one line.
 */
export async function transcodeToOggOpus(env: Record<string, string | undefined>, file: string, out: string, log: string): Promise<void> {
  const run = runFfmpeg(env, ["-nostdin", "-i", file, "-map", "0:a:0", ...OPUS_VOICE_OUT, "-y", out], ["ignore", "ignore"]);
  const { code, stderr } = await run.exited;
  if (code === 0) return;
  logTool(log, "ffmpeg", `converting ${file} to Ogg/Opus`, code, stderr);
  throw new Error(`could not convert it to Ogg/Opus: ${firstReason(stderr) || `ffmpeg exited ${code}`} (ffmpeg's messages are in ${log})`);
}
