import { spawnSync } from "node:child_process";

/** A decoder, encoder or player the machine does not have; its message names the package to install. */
export class MissingToolError extends Error {
  override readonly name = "MissingToolError";
}

const found = new Map<string, string | null>();

/** The first of `names` on PATH (or null); answers are cached for the process. */
export function whichTool(names: readonly string[], env: NodeJS.ProcessEnv = process.env): string | null {
  for (const name of names) {
    const key = `${name}\0${env.PATH ?? ""}`;
    if (!found.has(key)) {
      const r = spawnSync("sh", ["-c", 'command -v "$1"', "sh", name], { env, encoding: "utf8" });
      found.set(key, r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null);
    }
    const hit = found.get(key);
    if (hit) return hit;
  }
  return null;
}

/**
 * The ffmpeg executable: `RESCUE_FFMPEG` when set, else `ffmpeg` on PATH. Video and audio are
 * decoded by ffmpeg run as a child process (libvpx, OpenH264/h264, libopus), never by our code.
 * Throws MissingToolError naming the Debian package when there is none.
 */
export function ffmpegPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RESCUE_FFMPEG) return env.RESCUE_FFMPEG;
  const path = whichTool(["ffmpeg"], env);
  if (!path) throw new MissingToolError("ffmpeg is not installed: live view, snapshots and live audio need it (Debian/Ubuntu: apt install ffmpeg; macOS: brew install ffmpeg), or set RESCUE_FFMPEG to its path");
  return path;
}
