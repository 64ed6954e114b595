import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { privateFile } from "../../src/profile/private-dir.js";
import { dirname } from "node:path";
import {
  EncodedAudioPacketSource,
  EncodedPacket,
  EncodedVideoPacketSource,
  MkvOutputFormat,
  Output,
  StreamTarget,
  WebMOutputFormat,
  type StreamTargetChunk,
} from "mediabunny";
import { opusChannels, opusHead, opusPacketSamples, vp8KeyframeSize, type FrameSize } from "./media-codecs.js";
import { h264DecoderConfig, h264ToLengthPrefixed } from "./media-h264.js";
import { RtpTimeline } from "./recorder-clock.js";
import { StaleMedia } from "./stale-media.js";

export type VideoCodec = "vp8" | "h264";

export interface RecorderOptions {
  path: string;
  videoCodec: VideoCodec;
  /** How long to wait for the other track's first packet before writing without it. */
  trackWaitMs?: number;
  /**
   * The sender offered video: audio waits this long (ms, default 10 000) for the first video
   * keyframe before the file is made without a video track. A Matroska file cannot gain a track
   * once written, and a browser's first keyframe on a new connection often comes after a second.
   */
  expectVideo?: boolean;
  videoWaitMs?: number;
  /** Received packets are handed to the muxer (and the file) at least this often. */
  batchMs?: number;
  /** How long audio may stay away while video flows before silence stands in for it. */
  audioStallMs?: number;
  /** Called once, at once, when writing fails (a full disk): recording stops there, the file keeps what it has. */
  onError?: (error: Error) => void;
}

export interface RecordedVideoFrame {
  data: Buffer;
  keyframe: boolean;
  /** RTP timestamp (90 kHz). */
  timestamp: number;
  /** performance.now() when the frame's first packet arrived (default: now); anchors the video track. */
  arrivalMs?: number;
}

/** A stretch of the recording at one picture size: frames in a row from keyframe to keyframe of that size. */
export interface VideoSizeRun {
  width: number;
  height: number;
  frames: number;
  /** Where the stretch starts on the recording's timeline, ms. */
  fromMs: number;
}

/**
 * Adds one frame to `runs` (changed in place): a keyframe carries its size (VP8 frame header,
 * H.264 SPS) and a new size starts a run; delta frames (`size` absent) join the last run.
 * `timestampSec` is the frame's time on the recording's timeline.
 */
export function countFrameSize(runs: VideoSizeRun[], size: FrameSize | null | undefined, timestampSec: number): void {
  let run = runs.at(-1);
  if (size && (!run || run.width !== size.width || run.height !== size.height)) {
    run = { width: size.width, height: size.height, frames: 0, fromMs: Math.round(timestampSec * 1000) };
    runs.push(run);
  }
  if (run) run.frames++;
}

export interface RecordingSummary {
  path: string;
  bytes: number;
  videoFrames: number;
  audioPackets: number;
  durationMs: number;
  /** The size in the file's header: the first recorded keyframe's (null when no video was written). */
  width: number | null;
  height: number | null;
  /** Every size really recorded, in order; a change of resolution mid-stream starts a new run. */
  sizes: VideoSizeRun[];
  /** Where the file has none of the sender's audio: silence written instead (muted), or nothing (an outage, hold). */
  audioGaps: AudioGap[];
}

/**
 * A stretch of the recording without the sender's audio, on the recording's timeline (ms):
 * filled with silence while video flowed (a muted or stalled microphone), or left empty where
 * nothing came at all (`filled: false`: a link outage, hold, the customer's pause).
 */
export interface AudioGap {
  fromMs: number;
  toMs: number;
  /** Whether silence was written there; false: the file has no audio packets there. */
  filled: boolean;
}

/**
 * One 20 ms Opus frame of silence (TOC 0xF8: CELT-only, fullband, 20 ms, mono, one frame;
 * RFC 6716 3.1), the frame libopus itself codes for digital silence.
 */
const OPUS_SILENCE = Buffer.from([0xf8, 0xff, 0xfe]);
const OPUS_SILENCE_SEC = 0.02;
/**
 * A jump of the audio's timestamps this long (seconds) between packets is a stretch without audio
 * in the file; shorter ones are loss or a sender's discontinuous transmission (Opus DTX sends a
 * packet every 400 ms in silence).
 */
export const AUDIO_HOLE_SEC = 1;

/** A packet on its way to the muxer; `raw` is what arrived (codec configuration is read from it). */
type Item =
  | { kind: "video"; packet: EncodedPacket; size?: FrameSize; raw: Uint8Array }
  | { kind: "audio"; packet: EncodedPacket; raw: Uint8Array };

/**
 * Writes received video frames and audio packets to WebM (VP8) or Matroska (H264) as they arrive,
 * through a synchronous file target: every block reaches the file when the muxer flushes it, and
 * each cluster's size is patched in when the next one starts. Clusters start on keyframes, at
 * least a second apart. A killed process therefore leaves a file that ffprobe and players read up
 * to the last complete cluster (what is lost is bounded by the keyframe interval, which the
 * technician's peer keeps short by asking for keyframes), while a finalised file also gets its
 * duration, cues and seek head. Append-only mode would keep the last partial cluster too, but its
 * finished files have no duration or cues.
 */
export class Recorder {
  readonly path: string;
  /** Video frames in the file (a frame that came for a file without a video track is not counted). */
  videoFrames = 0;
  audioPackets = 0;
  bytes = 0;
  /** performance.now() when the first video frame reached the file. */
  firstVideoWrittenAt: number | undefined;
  /** The header's size: the first written keyframe's. */
  width: number | null = null;
  height: number | null = null;
  /** Sizes of the frames written, in runs (see VideoSizeRun). */
  readonly sizes: VideoSizeRun[] = [];

  private readonly opts: Required<Omit<RecorderOptions, "path" | "onError">>;
  private readonly onError: ((error: Error) => void) | undefined;
  private readonly fd: number;
  private output: Output | undefined;
  private video: EncodedVideoPacketSource | undefined;
  private audio: EncodedAudioPacketSource | undefined;
  private noAudioTrack = false;
  /** End of the last audio packet written (real or silence), seconds on the timeline. */
  private audioEndSec = 0;
  /** Added to resumed audio's timestamps so it never starts inside silence already written. */
  private audioShiftSec = 0;
  private fillingSilence = false;
  readonly audioGaps: AudioGap[] = [];
  private readonly videoClock = new RtpTimeline(90_000);
  private readonly audioClock = new RtpTimeline(48_000);
  /** Media that comes too late to be live (an outage's, let go in a burst) is not recorded. */
  private readonly staleVideo = new StaleMedia<RecordedVideoFrame>();
  private readonly staleAudio = new StaleMedia<Buffer>();
  /** After a stale video frame: the frames that refer to it are skipped up to the next keyframe. */
  private videoNeedsKeyframe = false;
  private zeroMs: number | undefined;
  private lastAudioMs = 0;
  private videoSinceAudio = 0;
  private firstVideoQueuedSec: number | undefined;
  private audioQueuedSec = -Infinity;
  private lastVideoSec = 0;
  /** performance.now() when the newest frame (by timestamp) arrived. */
  private lastVideoArrivalMs: number | undefined;
  private videoFrameSec = 1 / 30;
  /** Video frames taken in (from the first keyframe on), written or not. */
  private videoFramesIn = 0;
  private endSec = 0;
  private pending: Item[] = [];
  private batch: Item[] = [];
  private batchTimer: NodeJS.Timeout | undefined;
  private waitTimer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private finalised = false;
  private firstVideoConfig = true;
  private firstAudioConfig = true;

  constructor(opts: RecorderOptions) {
    this.path = opts.path;
    this.onError = opts.onError;
    this.opts = {
      videoCodec: opts.videoCodec,
      trackWaitMs: opts.trackWaitMs ?? 1000,
      expectVideo: opts.expectVideo ?? false,
      videoWaitMs: opts.videoWaitMs ?? 10_000,
      audioStallMs: opts.audioStallMs ?? 3000,
      batchMs: opts.batchMs ?? 200,
    };
    mkdirSync(dirname(opts.path), { recursive: true, mode: 0o700 });
    this.fd = openSync(opts.path, "w", 0o600);
    privateFile(this.fd);
  }

  /** Errors from the muxer surface here and on finalise; recording stops at the first one. */
  get error(): Error | undefined {
    return this.failure;
  }

  addVideoFrame(frame: RecordedVideoFrame): void {
    if (this.finalised || this.failure) return;
    if (!this.videoClock.started && !frame.keyframe) return; // a recording starts on a keyframe
    const nowMs = performance.now();
    // Anchored at the arrival of the frame's first packet, not its last: a large keyframe takes a
    // while to arrive and would otherwise start the video late against the audio.
    const arrivalSec = this.offsetSec(frame.arrivalMs ?? nowMs);
    const rtpSec = this.videoClock.seconds(frame.timestamp, arrivalSec);
    for (const placed of this.staleVideo.admit(rtpSec, arrivalSec, frame)) this.placeVideoFrame(placed.item, placed.sec, nowMs);
  }

  /** A frame whose time on the timeline is decided: `sec`, or null for a stale one (not recorded). */
  private placeVideoFrame(frame: RecordedVideoFrame, sec: number | null, nowMs: number): void {
    if (sec === null) {
      this.videoNeedsKeyframe = true;
      return;
    }
    if (this.videoNeedsKeyframe && !frame.keyframe) return;
    this.videoNeedsKeyframe = false;
    if (this.videoFramesIn > 0 && sec > this.lastVideoSec) this.videoFrameSec = Math.min(sec - this.lastVideoSec, 1);
    if (sec >= this.lastVideoSec) this.lastVideoArrivalMs = nowMs;
    this.lastVideoSec = Math.max(this.lastVideoSec, sec);
    let data: Uint8Array = frame.data;
    let size: FrameSize | undefined;
    if (this.opts.videoCodec === "h264") {
      data = h264ToLengthPrefixed(frame.data);
      if (frame.keyframe) size = h264DecoderConfig(frame.data) ?? undefined;
    } else if (frame.keyframe) {
      size = vp8KeyframeSize(frame.data) ?? undefined;
    }
    const packet = new EncodedPacket(data, frame.keyframe ? "key" : "delta", sec, this.videoFrameSec);
    this.videoFramesIn++;
    this.endSec = Math.max(this.endSec, sec + this.videoFrameSec);
    this.enqueue({ kind: "video", packet, size, raw: frame.data });
    this.videoSinceAudio++;
    // Matroska interleaving waits for every open track: a sender that stops its audio (muted, a
    // stalled microphone) must not hold video back, nor end the audio track for good.
    if (this.audioStalled(nowMs)) this.fillSilence(sec);
  }

  /** Writes silence from the end of the audio so far up to `untilSec`, and notes the gap. */
  private fillSilence(untilSec: number): void {
    if (this.audioEndSec + OPUS_SILENCE_SEC > untilSec) return;
    if (!this.fillingSilence) this.audioGaps.push({ fromMs: Math.round(this.audioEndSec * 1000), toMs: 0, filled: true });
    this.fillingSilence = true;
    while (this.audioEndSec + OPUS_SILENCE_SEC <= untilSec) {
      const packet = new EncodedPacket(OPUS_SILENCE, "key", this.audioEndSec, OPUS_SILENCE_SEC);
      this.enqueue({ kind: "audio", packet, raw: OPUS_SILENCE });
      this.audioEndSec += OPUS_SILENCE_SEC;
    }
    this.audioGaps.at(-1)!.toMs = Math.round(this.audioEndSec * 1000);
  }

  /** One Opus packet with its RTP timestamp (48 kHz). */
  addAudioPacket(data: Buffer, timestamp: number): void {
    if (this.finalised || this.failure || this.noAudioTrack) return;
    const nowMs = performance.now();
    this.lastAudioMs = nowMs;
    this.videoSinceAudio = 0;
    const arrivalSec = this.offsetSec(nowMs);
    const rtpSec = this.audioClock.seconds(timestamp, arrivalSec);
    for (const placed of this.staleAudio.admit(rtpSec, arrivalSec, data)) if (placed.sec !== null) this.placeAudioPacket(placed.item, placed.sec);
  }

  /** An audio packet at `placedSec` on the timeline (its RTP time, re-anchored after a pause). */
  private placeAudioPacket(data: Buffer, placedSec: number): void {
    if (this.noAudioTrack) return;
    let sec = placedSec + this.audioShiftSec;
    if (this.fillingSilence) {
      // Back after a gap: continue after the silence (a sender whose clock stood still would land inside it).
      this.fillingSilence = false;
      if (sec < this.audioEndSec) {
        this.audioShiftSec += this.audioEndSec - sec;
        sec = this.audioEndSec;
      }
    }
    if (this.audioPackets > 0 && sec - this.audioEndSec >= AUDIO_HOLE_SEC) this.noteAudioHole(sec);
    const duration = opusPacketSamples(data) / 48_000;
    this.audioEndSec = Math.max(this.audioEndSec, sec + duration);
    this.audioPackets++;
    this.endSec = Math.max(this.endSec, sec + duration);
    this.enqueue({ kind: "audio", packet: new EncodedPacket(data, "key", sec, duration), raw: data });
  }

  /**
   * Audio comes back after a stretch in which nothing came at all (a link outage, hold, the
   * customer's pause): the stretch is listed as a gap but not filled. Video has the same hole, so
   * neither track holds the other back in the muxer and players show the last picture in silence;
   * filling it would write a packet per 20 ms of the outage at once (180 000 after an hour on hold)
   * for nothing a player needs.
   */
  private noteAudioHole(resumedSec: number): void {
    this.audioGaps.push({ fromMs: Math.round(this.audioEndSec * 1000), toMs: Math.round(resumedSec * 1000), filled: false });
  }

  /**
   * Flushes, completes the file and closes it. Safe to call more than once. Throws the muxer's
   * error, or "nothing was recorded" when no packet reached the file (the empty file is removed).
   */
  async finalise(): Promise<RecordingSummary> {
    if (!this.finalised) {
      this.finalised = true;
      clearTimeout(this.waitTimer);
      // A run of late media still undecided at the end is decided by the pace it kept so far.
      const nowMs = performance.now();
      for (const placed of this.staleVideo.flush()) this.placeVideoFrame(placed.item, placed.sec, nowMs);
      for (const placed of this.staleAudio.flush()) if (placed.sec !== null) this.placeAudioPacket(placed.item, placed.sec);
      if (!this.output && this.pending.length > 0) this.startOutput();
      this.flushBatch();
      const output = this.output;
      if (output) this.run(async () => output.finalize());
      await this.chain;
      try {
        fsyncSync(this.fd);
      } finally {
        closeSync(this.fd);
      }
      if (!output) {
        // An empty file is no recording: it would be listed and fail every player.
        rmSync(this.path, { force: true });
        this.failure ??= new Error("nothing was recorded");
      }
    }
    if (this.failure) throw this.failure;
    return this.summary();
  }

  /** What is in the file so far (after a failure: what the partial file holds, up to its last whole cluster). */
  summary(): RecordingSummary {
    return {
      path: this.path,
      bytes: this.bytes,
      videoFrames: this.videoFrames,
      audioPackets: this.audioPackets,
      durationMs: Math.round(this.endSec * 1000),
      width: this.width,
      height: this.height,
      sizes: this.sizes.map((run) => ({ ...run })),
      audioGaps: this.audioGaps.map((gap) => ({ ...gap })),
    };
  }

  /** Audio has gone silent while video kept flowing (a pause of both, as on hold, is not a stall). */
  private audioStalled(nowMs: number): boolean {
    if (this.noAudioTrack || !this.audio || this.audioPackets === 0) return false;
    const minFrames = (this.opts.audioStallMs / 1000) * 10;
    return nowMs - this.lastAudioMs > this.opts.audioStallMs && this.videoSinceAudio >= minFrames;
  }

  /**
   * Milliseconds on the recording's clock at `nowMs` (performance.now()): the clock the file's
   * timestamps use, from its first packet; undefined before anything arrived.
   */
  clockMs(nowMs = performance.now()): number | undefined {
    // Against the newest video frame: its timestamp in the file plus the time since it arrived, so
    // an event lands by the picture shown at that moment even when the sender's pacing drifts.
    if (this.lastVideoArrivalMs !== undefined) return Math.max(0, this.lastVideoSec * 1000 + nowMs - this.lastVideoArrivalMs);
    return this.zeroMs === undefined ? undefined : Math.max(0, nowMs - this.zeroMs);
  }

  private offsetSec(atMs: number): number {
    this.zeroMs ??= atMs;
    return Math.max(0, atMs - this.zeroMs) / 1000;
  }

  private enqueue(item: Item): void {
    if (this.output) {
      // Handing packets to the muxer in small bursts costs a fraction of doing it one by one;
      // until the first video frame is in the file, every packet goes straight through.
      if (this.firstVideoWrittenAt === undefined) return this.write(item);
      this.batch.push(item);
      this.batchTimer ??= setTimeout(this.flushBatch, this.opts.batchMs);
      return;
    }
    this.pending.push(item);
    const haveVideo = this.pending.some((p) => p.kind === "video");
    const haveAudio = this.pending.some((p) => p.kind === "audio");
    if (haveVideo && haveAudio) this.startOutput();
    else this.waitTimer ??= setTimeout(() => this.startOutput(), haveAudio && this.opts.expectVideo ? this.opts.videoWaitMs : this.opts.trackWaitMs);
  }

  private flushBatch = (): void => {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    const items = this.batch;
    this.batch = [];
    for (const item of items) this.write(item);
  };

  /** Creates the file once the tracks present are known (Matroska needs them before the first cluster). */
  private startOutput(): void {
    if (this.output || this.failure) return;
    clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    const format =
      this.opts.videoCodec === "vp8"
        ? new WebMOutputFormat({ minimumClusterDuration: 1 })
        : new MkvOutputFormat({ minimumClusterDuration: 1 });
    const output = new Output({ format, target: new StreamTarget(this.fileSink()) });
    if (this.pending.some((p) => p.kind === "video")) {
      this.video = new EncodedVideoPacketSource(this.opts.videoCodec === "vp8" ? "vp8" : "avc");
      output.addVideoTrack(this.video, { frameRate: 30 });
    }
    if (this.pending.some((p) => p.kind === "audio")) {
      this.audio = new EncodedAudioPacketSource("opus");
      output.addAudioTrack(this.audio);
    } else {
      this.noAudioTrack = true;
    }
    this.output = output;
    this.run(async () => output.start());
    const pending = this.pending;
    this.pending = [];
    for (const item of pending) this.write(item);
  }

  private write(item: Item): void {
    if (item.kind === "video") {
      const source = this.video;
      if (!source) return;
      let meta: Parameters<EncodedVideoPacketSource["add"]>[1];
      if (this.firstVideoConfig) {
        const config = this.videoDecoderConfig(item.raw, item.size);
        if (!config) return; // cannot describe the track yet: wait for a keyframe that can
        this.firstVideoConfig = false;
        meta = { decoderConfig: config };
        this.width = config.codedWidth ?? null;
        this.height = config.codedHeight ?? null;
      }
      countFrameSize(this.sizes, item.size, item.packet.timestamp);
      this.videoFrames++;
      this.run(async () => {
        this.firstVideoQueuedSec ??= item.packet.timestamp;
        await source.add(item.packet, meta);
      });
    } else {
      const source = this.audio;
      if (!source || this.noAudioTrack) return;
      let meta: Parameters<EncodedAudioPacketSource["add"]>[1];
      if (this.firstAudioConfig) {
        this.firstAudioConfig = false;
        const channels = opusChannels(item.raw);
        meta = {
          decoderConfig: { codec: "opus", sampleRate: 48_000, numberOfChannels: channels, description: opusHead(channels) },
        };
      }
      this.run(async () => {
        this.audioQueuedSec = item.packet.timestamp;
        await source.add(item.packet, meta);
      });
    }
  }


  private videoDecoderConfig(raw: Uint8Array, size: FrameSize | undefined): VideoDecoderConfig | null {
    if (this.opts.videoCodec === "vp8") {
      return size ? { codec: "vp8", codedWidth: size.width, codedHeight: size.height } : null;
    }
    const h264 = h264DecoderConfig(raw);
    return h264 && { codec: h264.codec, codedWidth: h264.width, codedHeight: h264.height, description: h264.description };
  }

  /** Runs muxer steps strictly in order; the first failure stops the recording. */
  private run(step: () => Promise<unknown>): void {
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        await step();
      } catch (error) {
        this.failure = error instanceof Error ? error : new Error(String(error));
        this.onError?.(this.failure);
      }
    });
  }

  /** Synchronous positioned writes: each muxer flush reaches the file before the next packet. */
  private fileSink(): WritableStream<StreamTargetChunk> {
    return new WritableStream<StreamTargetChunk>({
      write: (chunk) => {
        writeSync(this.fd, chunk.data, 0, chunk.data.byteLength, chunk.position);
        this.bytes = Math.max(this.bytes, chunk.position + chunk.data.byteLength);
        // The muxer interleaves by timestamp: the first video block goes out with the first flush
        // after audio has caught up with it (or when there is no audio to wait for).
        const video = this.firstVideoQueuedSec;
        if (this.firstVideoWrittenAt === undefined && video !== undefined) {
          if (this.noAudioTrack || this.audioQueuedSec >= video) this.firstVideoWrittenAt = performance.now();
        }
      },
    });
  }
}
