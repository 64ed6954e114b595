import { EventEmitter } from "node:events";
import type { Readable } from "node:stream";
import { FrameDecoder, type RgbFrame, type VideoStreamFormat } from "../media/video-decoder.js";

/** An open live video stream from the daemon (GET /api/v1/sessions/:id/video). */
export interface VideoSource {
  format: VideoStreamFormat;
  body: Readable;
  close(): void;
}

export interface LivePictureEvents {
  /** A newly decoded picture; only the newest matters, so a slow consumer simply skips some. */
  frame: [RgbFrame];
  /**
   * The stream ended: the session's media stopped (a complete stream), or it broke off (`cut`: the
   * daemon went away), or decoding failed (`error`).
   */
  end: [{ error?: Error; cut?: boolean }];
}

/**
 * The live picture of a session at a given size: opens the daemon's video stream, decodes it
 * with ffmpeg into RGB frames of exactly `box` (aspect kept, letterboxed), and reopens at a new
 * size on `resize` (the stream starts at the current keyframe, so the picture is back at once).
 * Used by `rescue session view` and the console's detail pane.
 */
export class LivePicture extends EventEmitter<LivePictureEvents> {
  /** The newest picture, if any. */
  latest: RgbFrame | null = null;
  private source: VideoSource | null = null;
  private decoder: FrameDecoder | null = null;
  private generation = 0;
  private closed = false;

  constructor(
    private readonly open: () => Promise<VideoSource>,
    private box: { width: number; height: number },
    private readonly env?: NodeJS.ProcessEnv,
  ) {
    super();
  }

  get size(): { width: number; height: number } {
    return { ...this.box };
  }

  /** Opens the stream; rejects when the daemon refuses it (no such session, no media). */
  async start(): Promise<void> {
    const generation = ++this.generation;
    const source = await this.open();
    if (this.closed || generation !== this.generation) return source.close();
    const decoder = new FrameDecoder({ format: source.format, width: this.box.width, height: this.box.height, env: this.env });
    this.source = source;
    this.decoder = decoder;
    let failed: Error | undefined;
    decoder.on("frame", (frame) => {
      if (generation !== this.generation) return;
      this.latest = frame;
      this.emit("frame", frame);
    });
    decoder.on("error", (e) => (failed = e));
    let cut = false;
    decoder.on("exit", ({ code, stderr }) => {
      if (generation !== this.generation || this.closed) return;
      if (code !== 0 && !failed && !cut) failed = new Error(`the video decoder stopped (exit ${code}): ${stderr || "no message"}`);
      this.emit("end", failed ? { error: failed } : cut ? { cut } : {});
    });
    // A stream that closes before its end was never finished by the daemon: it went away.
    source.body.on("error", () => undefined);
    source.body.on("close", () => {
      if (source.body.readableEnded) return;
      cut = true;
      decoder.end();
    });
    source.body.pipe(decoder.input);
  }

  /** A new size: the stream is reopened and decoded at it. */
  async resize(box: { width: number; height: number }): Promise<void> {
    if (box.width === this.box.width && box.height === this.box.height) return;
    this.box = box;
    this.stop();
    await this.start();
  }

  close(): void {
    this.closed = true;
    this.stop();
  }

  private stop(): void {
    this.generation++;
    this.source?.close();
    this.decoder?.close();
    this.source = null;
    this.decoder = null;
  }
}
