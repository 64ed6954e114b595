import { mkdirSync, openSync, readSync, closeSync, statSync } from "node:fs";
import { privateFile } from "../../src/profile/private-dir.js";
import { dirname } from "node:path";
import { decodeLastFrameToPng } from "../../src/media/video-decoder.js";
import { RescueError } from "../../src/protocol/index.js";
import type { VideoTap } from "./video-tap.js";

export interface Snapshot {
  path: string;
  width: number;
  height: number;
  /** ISO time of the newest frame in the picture. */
  at: string;
}

/**
 * Saves the newest picture of `tap` as a PNG at the video's own size: the current group of
 * pictures is decoded (keyframe first) and its last frame kept. With no keyframe yet, one is
 * asked for and waited on up to `waitMs`. Rejects when no video comes or ffmpeg cannot decode it.
 */
export async function takeSnapshot(tap: VideoTap, outPath: string, waitMs = 5000): Promise<Snapshot> {
  const format = tap.format;
  if (!format) throw new Error("no video codec negotiated yet");
  // A place it cannot write is the caller's mistake, said plainly before any decoding.
  try {
    mkdirSync(dirname(outPath), { recursive: true, mode: 0o700 });
    const fd = openSync(outPath, "w", 0o600);
    try {
      privateFile(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new RescueError("bad_request", `cannot write ${outPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const { stream, frames } = await collectGop(tap, waitMs);
  const at = new Date().toISOString();
  await decodeLastFrameToPng(format, stream, outPath, undefined, frames);
  // A frame the decoder dropped leaves the selection empty: then every frame, the last kept.
  if (statSync(outPath).size === 0) await decodeLastFrameToPng(format, stream, outPath);
  return { path: outPath, ...pngSize(outPath), at };
}

/** The header and current GOP as one decodable stream; with none, the first keyframe that comes. */
function collectGop(tap: VideoTap, waitMs: number): Promise<{ stream: Buffer; frames: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let frames = 0;
    let replaying = true;
    let done = false;
    let unsubscribe = (): void => undefined;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      if (frames === 0) reject(new Error(`no video frame arrived within ${waitMs / 1000} s`));
      else resolve({ stream: Buffer.concat(chunks), frames });
    };
    const sink = {
      writableLength: 0,
      write(chunk: Buffer) {
        chunks.push(chunk);
        // The first chunk of an IVF stream is its file header, not a frame.
        if (tap.format === "h264" || chunks.length > 1) frames++;
        if (!replaying) finish();
        return true;
      },
      end: finish,
    };
    const timer = setTimeout(finish, waitMs);
    unsubscribe = tap.subscribe(sink);
    replaying = false;
    if (frames > 0) finish();
  });
}

/** Width and height from a PNG's IHDR chunk (bytes 16..23, big-endian; PNG spec 11.2.2). */
function pngSize(path: string): { width: number; height: number } {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(24);
    readSync(fd, head, 0, 24, 0);
    if (head.toString("ascii", 12, 16) !== "IHDR") throw new Error(`${path} is not a PNG`);
    return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
  } finally {
    closeSync(fd);
  }
}
