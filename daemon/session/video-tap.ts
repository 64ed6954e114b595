import { ivfFileHeader, ivfFrameHeader } from "../../src/media/ivf.js";
import type { VideoStreamFormat } from "../../src/media/video-decoder.js";
import type { VideoCodec } from "./recorder.js";

/** A whole depacketized frame as the recorder gets it; `timestamp` is the 90 kHz RTP timestamp. */
export interface TapFrame {
  data: Buffer;
  keyframe: boolean;
  timestamp: number;
}

/** Where a subscriber's bytes go: an HTTP response in the local API, a buffer in a snapshot. */
export interface TapSink {
  write(chunk: Buffer): unknown;
  /** Bytes written but not yet taken by the reader. */
  readonly writableLength: number;
  end(): void;
}

interface Subscriber {
  sink: TapSink;
  /** It has a keyframe and every frame since: it may take delta frames. */
  synced: boolean;
  /** First RTP timestamp it got, so its pts start at 0. */
  firstTs: number | null;
  dropped: number;
}

/**
 * How far a viewer may fall behind before it is cut back to the next keyframe: about two seconds
 * of a 1 Mbit/s stream, and never less than two keyframes (one must always fit). Below it nothing
 * is dropped; above it frames are, never queued.
 */
export const VIEWER_BACKLOG_BYTES = 256 * 1024;
/** The current group of pictures is kept for new viewers up to this size (a 5 s GOP at 1 Mbit/s is 625 kB). */
const GOP_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * The live video of one session for viewers (`session view`, the console, snapshots): each
 * subscriber gets a decodable stream (VP8 in IVF, H.264 Annex B) that starts with the current
 * group of pictures, so the picture shows at once, then follows live. A subscriber that does not
 * keep up loses frames up to the next keyframe, which is asked for, rather than growing a queue:
 * the picture stays the newest.
 */
export class VideoTap {
  private gop: TapFrame[] = [];
  private gopBytes = 0;
  private lastKeyframeBytes = 0;
  private readonly subscribers = new Set<Subscriber>();
  private closed = false;

  constructor(
    private readonly codec: () => VideoCodec | null,
    /** Asks the customer's side for a keyframe (PLI); rate-limited by the caller. */
    private readonly requestKeyframe: (why: string) => void,
  ) {}

  get format(): VideoStreamFormat | null {
    const codec = this.codec();
    return codec === "vp8" ? "ivf" : codec === "h264" ? "h264" : null;
  }

  get viewers(): number {
    return this.subscribers.size;
  }

  /** The frames from the last keyframe on (a copy of the list; frames are not copied). */
  currentGop(): TapFrame[] {
    return [...this.gop];
  }

  /** Takes a frame of the session's video; cheap when nobody watches (one array push). */
  publish(frame: TapFrame): void {
    if (this.closed) return;
    if (frame.keyframe) {
      this.lastKeyframeBytes = frame.data.length;
      this.gop = [frame];
      this.gopBytes = frame.data.length;
    } else if (this.gop.length > 0) {
      this.gop.push(frame);
      this.gopBytes += frame.data.length;
      // A GOP this long is not worth keeping: a new viewer waits for (and asks for) a keyframe.
      if (this.gopBytes > GOP_LIMIT_BYTES) this.gop = [];
    }
    for (const s of this.subscribers) this.deliver(s, frame);
  }

  /**
   * Streams the video to `sink`, beginning with the stream header and the current GOP.
   * Returns the unsubscribe function. Throws when the codec is not known yet.
   */
  subscribe(sink: TapSink): () => void {
    const format = this.format;
    if (!format) throw new Error("no video codec negotiated yet");
    if (format === "ivf") sink.write(ivfFileHeader({ fourcc: "VP80", width: 0, height: 0, timebaseDen: 90_000 }));
    const s: Subscriber = { sink, synced: false, firstTs: null, dropped: 0 };
    this.subscribers.add(s);
    if (this.closed) {
      sink.end();
      return () => undefined;
    }
    if (this.gop.length === 0) this.requestKeyframe("viewer");
    for (const frame of this.gop) this.deliver(s, frame);
    return () => this.subscribers.delete(s);
  }

  /** The media ended: every viewer's stream ends. */
  close(): void {
    this.closed = true;
    this.gop = [];
    for (const s of this.subscribers) s.sink.end();
    this.subscribers.clear();
  }

  private deliver(s: Subscriber, frame: TapFrame): void {
    if (!s.synced) {
      if (!frame.keyframe) return;
      s.synced = true;
    } else if (s.sink.writableLength > Math.max(VIEWER_BACKLOG_BYTES, 2 * this.lastKeyframeBytes)) {
      s.synced = false;
      s.dropped++;
      this.requestKeyframe("viewer-behind");
      return;
    }
    s.firstTs ??= frame.timestamp;
    if (this.format === "ivf") {
      const pts = (frame.timestamp - s.firstTs) >>> 0;
      s.sink.write(Buffer.concat([ivfFrameHeader(frame.data.length, pts), frame.data]));
    } else {
      s.sink.write(frame.data);
    }
  }
}
