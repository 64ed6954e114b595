import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { createRequire } from "node:module";

/** A decoder, encoder or player the machine does not have; its message names the package to install. */
export class MissingToolError extends Error {
  override readonly name = "MissingToolError";
}

/** The first of `names` that is an executable file in a folder of PATH, or null. */
export function whichTool(names: readonly string[], env: NodeJS.ProcessEnv = process.env): string | null {
  const dirs = (env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const path = join(dir, name);
      try {
        accessSync(path, constants.X_OK);
        if (statSync(path).isFile()) return path;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/**
 * The ffmpeg executable: `RESCUE_FFMPEG` when set, else `ffmpeg` on PATH (the system's build, which
 * also speaks to PulseAudio), else the static build npm installed with the optional dependency
 * @ffmpeg-installer/ffmpeg (decoding works with `npm install` alone). Video and audio are decoded
 * by ffmpeg run as a child process (libvpx, h264, libopus), never by our code. Throws
 * MissingToolError naming the package to install when there is none.
 */
export function ffmpegPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RESCUE_FFMPEG) return env.RESCUE_FFMPEG;
  const path = whichTool(["ffmpeg"], env) ?? bundledFfmpeg();
  if (!path) throw new MissingToolError("ffmpeg is not installed: live view, snapshots and live audio need it (Debian/Ubuntu: apt install ffmpeg; macOS: brew install ffmpeg), or set RESCUE_FFMPEG to its path");
  return path;
}

/** The binary of @ffmpeg-installer/ffmpeg for this platform, if npm installed one. */
function bundledFfmpeg(): string | null {
  try {
    return (createRequire(import.meta.url)("@ffmpeg-installer/ffmpeg") as { path: string }).path;
  } catch {
    return null;
  }
}
