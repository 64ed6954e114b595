import { spawn, type ChildProcessByStdio } from "node:child_process";
import { EventEmitter } from "node:events";
import type { Readable, Writable } from "node:stream";
import { ffmpegPath } from "./ffmpeg.js";

/** What the daemon's video tap streams: VP8 in IVF, or H.264 as an Annex B elementary stream. */
export type VideoStreamFormat = "ivf" | "h264";

/** One decoded picture, `width * height * 3` bytes of packed RGB (rgb24), rows top to bottom. */
export interface RgbFrame {
  width: number;
  height: number;
  rgb: Buffer;
}

export interface FrameDecoderOptions {
  format: VideoStreamFormat;
  /** The box the picture is scaled into, aspect ratio kept, the rest black (letterbox or pillarbox). */
  width: number;
  height: number;
  env?: NodeJS.ProcessEnv;
}

export interface FrameDecoderEvents {
  frame: [RgbFrame];
  /** ffmpeg is gone: `code` null when it was killed; `stderr` is its last words. */
  exit: [{ code: number | null; stderr: string }];
  error: [Error];
}

/**
 * Decodes a live video stream with ffmpeg into RGB frames of a fixed size. One decoding thread
 * and no input buffering, so a frame leaves as soon as it is decoded (frame threading would hold
 * back a frame per thread). Input goes in with `write`; frames come out as `frame` events.
 */
export class FrameDecoder extends EventEmitter<FrameDecoderEvents> {
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private readonly frameBytes: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private stderr = "";

  constructor(readonly opts: FrameDecoderOptions) {
    super();
    const { width: w, height: h } = opts;
    if (!(w > 0 && h > 0)) throw new RangeError(`decoder box ${w}x${h} is empty`);
    this.frameBytes = w * h * 3;
    const filter = `scale=${w}:${h}:force_original_aspect_ratio=decrease:flags=area,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2`;
    this.child = spawn(
      ffmpegPath(opts.env),
      [
        ...["-hide_banner", "-loglevel", "error", "-nostdin"],
        ...["-fflags", "nobuffer", "-flags", "low_delay", "-probesize", "32", "-analyzeduration", "0", "-threads", "1"],
        ...["-f", opts.format, "-i", "pipe:0"],
        // One picture out per frame in: the default would repeat frames to a constant rate.
        ...["-vf", filter, "-vsync", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-flush_packets", "1", "pipe:1"],
      ],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    this.child.stdin.on("error", () => undefined);
    this.child.stdout.on("data", (chunk: Buffer) => this.onData(chunk));
    this.child.stderr.setEncoding("utf8").on("data", (s: string) => (this.stderr = (this.stderr + s).slice(-2000)));
    this.child.on("error", (e) => this.emit("error", e));
    this.child.on("close", (code) => this.emit("exit", { code, stderr: this.stderr.trim() }));
  }

  /** ffmpeg's input, for `stream.pipe(decoder.input)`: back-pressure reaches the sender. */
  get input(): Writable {
    return this.child.stdin;
  }

  /** Feeds encoded stream bytes; false when ffmpeg's input pipe is full (a hint, nothing is lost). */
  write(chunk: Buffer): boolean {
    return this.child.stdin.writable ? this.child.stdin.write(chunk) : false;
  }

  /** No more input: ffmpeg decodes what it has and exits. */
  end(): void {
    this.child.stdin.end();
  }

  close(): void {
    this.child.stdin.destroy();
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }

  private onData(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (this.pendingBytes >= this.frameBytes) {
      const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
      const rgb = Buffer.from(all.subarray(0, this.frameBytes));
      const rest = all.subarray(this.frameBytes);
      this.pending = rest.length ? [rest] : [];
      this.pendingBytes = rest.length;
      this.emit("frame", { width: this.opts.width, height: this.opts.height, rgb });
    }
  }
}

/**
 * Decodes a whole stream (a keyframe and the frames after it) and writes its last picture to
 * `outPath` as a PNG at the video's own size. With `frames` (how many the stream holds) only the
 * last is encoded and written: writing every frame's PNG over the last one took seconds for a
 * long group of pictures on a busy disk. Rejects with ffmpeg's message when nothing decodes.
 */
export function decodeLastFrameToPng(format: VideoStreamFormat, input: Buffer, outPath: string, env?: NodeJS.ProcessEnv, frames?: number): Promise<void> {
  const last = frames !== undefined && frames > 1 ? ["-vf", `select=gte(n\\,${frames - 1})`] : [];
  return new Promise((resolve, reject) => {
    const child = spawn(
      ffmpegPath(env),
      [...["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", format, "-i", "pipe:0"], ...last, ...["-update", "1", "-frames:v", "100000", "-f", "image2", "-c:v", "png", outPath]],
      { stdio: ["pipe", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.stdin.on("error", () => undefined);
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg could not decode the frame (exit ${code}): ${stderr.trim().slice(-500)}`))));
    child.stdin.end(input);
  });
}
