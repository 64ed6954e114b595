import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

/** ffmpeg could not be found: the message names the variable and the Debian package. */
export class FfmpegMissing extends Error {
  override readonly name = "FfmpegMissing";
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The ffmpeg binary to run: `RESCUE_FFMPEG` when set (a path), else `ffmpeg` found on `PATH`.
 * Returns an absolute path. Throws FfmpegMissing naming the fix (Debian: `apt-get install ffmpeg`).
 */
export function ffmpegPath(env: Record<string, string | undefined> = process.env): string {
  const chosen = env.RESCUE_FFMPEG;
  if (chosen) {
    if (isAbsolute(chosen) && executable(chosen)) return chosen;
    throw new FfmpegMissing(`RESCUE_FFMPEG=${chosen} is not an executable file (give an absolute path to ffmpeg)`);
  }
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, "ffmpeg");
    if (executable(candidate)) return candidate;
  }
  throw new FfmpegMissing("ffmpeg is not installed (Debian/Ubuntu: sudo apt-get install ffmpeg), or set RESCUE_FFMPEG=/path/to/ffmpeg");
}
