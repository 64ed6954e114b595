import { spawn } from "node:child_process";
import { MissingToolError, whichTool } from "../../media/ffmpeg.js";
import type { VideoSource } from "../../picture/live-picture.js";
import { firstReason, logTool, soundFailureKind } from "../sound-failure.js";

/** Desktop players that read a live stream on stdin, in order of preference. */
const PLAYERS = ["mpv", "ffplay"] as const;

function playerArgs(player: string, format: VideoSource["format"], title: string): string[] {
  if (player.endsWith("mpv")) {
    return ["--really-quiet", "--no-cache", "--untimed", "--profile=low-latency", `--demuxer-lavf-format=${format}`, `--title=${title}`, "-"];
  }
  // -an: the live view has no sound, and without it ffplay's SDL opens an audio device anyway (and fails
  // to start at all when SDL_AUDIODRIVER names a sound server that is not running).
  return ["-hide_banner", "-loglevel", "error", "-an", "-fflags", "nobuffer", "-flags", "low_delay", "-framedrop", "-autoexit", "-window_title", title, "-f", format, "-i", "pipe:0"];
}

/**
 * The desktop player to use (mpv, else ffplay). Throws MissingToolError naming what `what` needs
 * (no display, or neither player) and `otherwise`, the way on without one.
 */
export function desktopPlayer(env: NodeJS.ProcessEnv, what: string, otherwise: string): string {
  if (process.platform === "linux" && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    throw new MissingToolError(`no desktop display here (DISPLAY and WAYLAND_DISPLAY are unset): ${what} needs a graphical session; ${otherwise}`);
  }
  const player = whichTool(PLAYERS, env);
  if (!player) throw new MissingToolError(`no video player for ${what}: install mpv or ffplay (Debian/Ubuntu: apt install mpv, or apt install ffmpeg for ffplay); ${otherwise}`);
  return player;
}

/**
 * A player's stderr, kept (its last 4000 characters) for the log rather than written over the
 * terminal: SDL and ALSA print a dozen lines there when no sound server runs, on top of the console.
 */
function stderrOf(child: ReturnType<typeof spawn>): () => string {
  let text = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (d: string) => (text = (text + d).slice(-4000)));
  return () => text;
}

/**
 * Plays a recording's file in a desktop window (mpv, else ffplay) until it ends, the window is
 * closed or `signal` aborts; resolves with the player's exit code (null when stopped by a signal)
 * and, when it failed, `failure`: one line saying why (no sound server, or the player's first
 * reason). Whatever the player printed goes to `log` (the profile's), not the screen.
 * Throws MissingToolError as desktopPlayer does.
 */
export async function playFileInWindow(env: NodeJS.ProcessEnv, path: string, title: string, signal: AbortSignal, log: string): Promise<{ player: string; code: number | null; interrupted: boolean; failure?: string }> {
  const player = desktopPlayer(env, "recordings open", "the file is a WebM any video player opens");
  const args = player.endsWith("mpv")
    ? ["--really-quiet", "--keep-open=no", `--title=${title}`, "--", path]
    : ["-hide_banner", "-loglevel", "error", "-autoexit", "-window_title", title, path];
  const child = spawn(player, args, { stdio: ["ignore", "ignore", "pipe"], env });
  const stderr = stderrOf(child);
  let interrupted = false;
  const onAbort = () => {
    interrupted = true;
    child.kill("SIGTERM");
  };
  signal.addEventListener("abort", onAbort);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (c) => resolve(c));
    });
    const tool = player.split("/").pop()!;
    const said = stderr();
    if (said.trim() === "" && (code === 0 || interrupted)) return { player, code, interrupted };
    logTool(log, tool, `playing ${path}`, code, said);
    if (code === 0 || interrupted) return { player, code, interrupted };
    const failure =
      soundFailureKind(said) === "no-server"
        ? "no PulseAudio server reachable for its sound: start one (pulseaudio --start, or PipeWire's pipewire-pulse)"
        : `${firstReason(said) || `exit ${code}`} (its messages are in ${log})`;
    return { player, code, interrupted, failure };
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Plays the live video in a desktop window at full resolution (mpv, else ffplay), until the window
 * is closed, the session's video ends, or `signal` aborts. Throws MissingToolError naming both
 * players when neither is installed. What the player prints goes to `log` (the profile's).
 */
export async function viewInWindow(env: NodeJS.ProcessEnv, source: () => Promise<VideoSource>, title: string, signal: AbortSignal, log: string): Promise<"closed" | "ended" | "interrupted"> {
  const player = desktopPlayer(env, "--window", "leave it out to view in the terminal");
  const video = await source();
  const child = spawn(player, playerArgs(player, video.format, title), { stdio: ["pipe", "ignore", "pipe"], env });
  const stderr = stderrOf(child);
  child.stdin.on("error", () => undefined);
  video.body.pipe(child.stdin);
  let why: "closed" | "ended" | "interrupted" = "closed";
  video.body.on("end", () => (why = "ended"));
  const onAbort = () => {
    why = "interrupted";
    child.kill("SIGTERM");
  };
  signal.addEventListener("abort", onAbort);
  try {
    await new Promise<void>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", () => resolve());
    });
  } finally {
    signal.removeEventListener("abort", onAbort);
    video.close();
  }
  if (stderr().trim() !== "") logTool(log, player.split("/").pop()!, "showing the live view", child.exitCode, stderr());
  return why;
}
