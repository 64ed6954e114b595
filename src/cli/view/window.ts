import { spawn } from "node:child_process";
import { MissingToolError, whichTool } from "../../media/ffmpeg.js";
import type { VideoSource } from "../../picture/live-picture.js";

/** Desktop players that read a live stream on stdin, in order of preference. */
const PLAYERS = ["mpv", "ffplay"] as const;

function playerArgs(player: string, format: VideoSource["format"], title: string): string[] {
  if (player.endsWith("mpv")) {
    return ["--really-quiet", "--no-cache", "--untimed", "--profile=low-latency", `--demuxer-lavf-format=${format}`, `--title=${title}`, "-"];
  }
  return ["-hide_banner", "-loglevel", "error", "-fflags", "nobuffer", "-flags", "low_delay", "-framedrop", "-autoexit", "-window_title", title, "-f", format, "-i", "pipe:0"];
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
 * Plays a recording's file in a desktop window (mpv, else ffplay) until it ends, the window is
 * closed or `signal` aborts; resolves with the player's exit code (null when stopped by a signal).
 * Throws MissingToolError as desktopPlayer does.
 */
export async function playFileInWindow(env: NodeJS.ProcessEnv, path: string, title: string, signal: AbortSignal): Promise<{ player: string; code: number | null; interrupted: boolean }> {
  const player = desktopPlayer(env, "recordings open", "the file is a WebM any video player opens");
  const args = player.endsWith("mpv")
    ? ["--really-quiet", "--keep-open=no", `--title=${title}`, "--", path]
    : ["-hide_banner", "-loglevel", "error", "-autoexit", "-window_title", title, path];
  const child = spawn(player, args, { stdio: ["ignore", "ignore", "inherit"], env });
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
    return { player, code, interrupted };
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Plays the live video in a desktop window at full resolution (mpv, else ffplay), until the window
 * is closed, the session's video ends, or `signal` aborts. Throws MissingToolError naming both
 * players when neither is installed.
 */
export async function viewInWindow(env: NodeJS.ProcessEnv, source: () => Promise<VideoSource>, title: string, signal: AbortSignal): Promise<"closed" | "ended" | "interrupted"> {
  const player = desktopPlayer(env, "--window", "leave it out to view in the terminal");
  const video = await source();
  const child = spawn(player, playerArgs(player, video.format, title), { stdio: ["pipe", "ignore", "inherit"], env });
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
  return why;
}
