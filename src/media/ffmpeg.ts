import { accessSync, constants, statSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, isAbsolute, join } from "node:path";

/** A decoder, encoder or player the machine does not have; its message names the package to install. */
export class MissingToolError extends Error {
  override readonly name = "MissingToolError";
}

function executableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The first of `names` that is an executable file in a folder of PATH, or null. */
export function whichTool(names: readonly string[], env: Record<string, string | undefined> = process.env): string | null {
  const dirs = (env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const path = join(dir, name);
      if (executableFile(path)) return path;
    }
  }
  return null;
}

/**
 * The ffmpeg executable, as an absolute path: `RESCUE_FFMPEG` when set, else `ffmpeg` on PATH (the
 * system's build, which also speaks to PulseAudio), else the static build npm installed with the
 * optional dependency @ffmpeg-installer/ffmpeg (decoding works with `npm install` alone; it has no
 * PulseAudio). Video and audio are decoded by ffmpeg run as a child process (libvpx, h264,
 * libopus), never by our code. Throws MissingToolError naming the fix when there is none, or when
 * RESCUE_FFMPEG is not an executable file.
 */
export function ffmpegPath(env: Record<string, string | undefined> = process.env): string {
  const chosen = env.RESCUE_FFMPEG;
  if (chosen) {
    if (isAbsolute(chosen) && executableFile(chosen)) return chosen;
    throw new MissingToolError(`RESCUE_FFMPEG=${chosen} is not an executable file (give an absolute path to ffmpeg)`);
  }
  const path = whichTool(["ffmpeg"], env) ?? bundledFfmpeg();
  if (!path) throw new MissingToolError("ffmpeg is not installed: live view, snapshots and live voice need it (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg), or set RESCUE_FFMPEG to its path");
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
