import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readOggOpus } from "../media/ogg-opus.js";
import { transcodeToOggOpus, unreadableAudio } from "./audio.js";
import { UsageError } from "./errors.js";

function isOggOpus(path: string): boolean {
  try {
    return readOggOpus(path).packets.length > 0;
  } catch {
    return false;
  }
}

/**
 * Plays `file` once to the customer of `id` through the daemon (`talk(id, path)`: POST
 * /sessions/:id/talk): Ogg/Opus goes as it is, anything ffmpeg decodes is converted first into a
 * private temporary copy (0600 in a 0700 folder, removed once the daemon has read it). Resolves
 * with the file's absolute path. Throws UsageError for a missing file or one that is not audio,
 * an Error of one line when the conversion fails (ffmpeg's own lines go to `log`, the profile's
 * HomePaths.log), and what the daemon answers (forbidden without the talk permission, conflict
 * without media).
 */
export async function playAudioFile(
  env: Record<string, string | undefined>,
  daemon: { talk(id: string, audioPath: string): Promise<unknown> },
  id: string,
  file: string,
  log: string,
  /** How messages name the file: the flag that gave it, by default. */
  name = `--audio ${file}`,
): Promise<string> {
  const audioPath = resolve(file);
  if (!existsSync(audioPath)) throw new UsageError(`${name}: no such file`);
  let sendPath = audioPath;
  let tmp: string | undefined;
  try {
    if (!isOggOpus(audioPath)) {
      const reason = await unreadableAudio(env, audioPath);
      if (reason) throw new UsageError(`${name}: not audio that can be played (${reason})`);
      // mkdtemp makes the folder 0700; the file is customer-session media, 0600.
      tmp = mkdtempSync(join(tmpdir(), "rescue-talk-"));
      sendPath = join(tmp, "voice.ogg");
      closeSync(openSync(sendPath, "w", 0o600));
      chmodSync(sendPath, 0o600);
      try {
        await transcodeToOggOpus(env, audioPath, sendPath, log);
      } catch (e) {
        throw new Error(`${name}: ${(e as Error).message}`);
      }
    }
    // The daemon reads the file before it answers, so the converted copy can go right after.
    await daemon.talk(id, sendPath);
    return audioPath;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
