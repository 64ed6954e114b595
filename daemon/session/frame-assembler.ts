import type { RtpPacket } from "werift";
import { dePacketizeRtpPackets } from "werift";

/** A whole frame out of the assembler; `timestamp` is its 90 kHz RTP timestamp. */
export interface AssembledFrame {
  data: Buffer;
  /** As the payload format says (VP8 P bit, H.264 IDR); callers may check the bitstream further. */
  keyframe: boolean;
  timestamp: number;
}

export interface FrameAssemblerSink {
  frame(frame: AssembledFrame): void;
  /** Frames were lost and what follows cannot be decoded until a keyframe: ask the sender for one. */
  needKeyframe(why: "loss" | "broken-frame" | "no-keyframe-yet"): void;
}

/** The payload format names werift's depacketizer knows. */
export type AssemblerCodec = "VP8" | "MPEG4/ISO/AVC";

/**
 * Builds frames from RTP packets that arrive in sequence order (after the jitter buffer), and hands
 * out only frames that decode: a frame is the packets of one timestamp up to the marker bit (RFC
 * 3550 5.1; RFC 7741 and RFC 6184 say the marker ends a frame). Packets with no payload are
 * padding (senders send them to probe bandwidth, RFC 3550 5.1, often between frames with the
 * previous frame's timestamp): they are skipped and do not break a frame. After a loss (`lost`),
 * or a frame the payload parser rejects, every frame is held back until the next keyframe, since
 * delta frames decoded without the frames they refer to give pictures the camera never showed.
 */
export class FrameAssembler {
  /** Frames handed out, and whole frames held back (waiting for a keyframe) or broken (a packet lost). */
  readonly counters = { frames: 0, heldBack: 0, broken: 0 };
  private packets: RtpPacket[] = [];
  /** Timestamp of the frame being gathered; undefined between frames. */
  private timestamp: number | undefined;
  /** The frame being gathered lacks a packet: it is dropped at its end. */
  private frameBroken = false;
  /** Packets are missing just before the next one. */
  private gap = false;
  /** A keyframe has come, and nothing was lost since: delta frames may go out. */
  private synced = false;
  private keyframeSeen = false;

  constructor(
    private readonly codec: AssemblerCodec,
    private readonly sink: FrameAssemblerSink,
    /** A further check of a frame the payload format calls a keyframe (e.g. VP8's start code). */
    private readonly confirmKeyframe: (data: Buffer) => boolean = () => true,
  ) {}

  /** The next packet in sequence order. */
  packet(rtp: RtpPacket): void {
    if (rtp.payload.length === 0) return;
    const ts = rtp.header.timestamp;
    if (this.timestamp === undefined || ts !== this.timestamp) {
      // A new timestamp before the last frame's marker: that frame's end was lost.
      if (this.timestamp !== undefined) this.desync("loss");
      this.packets = [];
      this.timestamp = ts;
      // After a gap a frame is whole only if this packet is its first (the gap held whole frames).
      this.frameBroken = this.gap && !startsFrame(this.codec, rtp.payload);
    } else if (this.gap) {
      this.frameBroken = true;
    }
    this.gap = false;
    if (!this.frameBroken) this.packets.push(rtp);
    if (rtp.header.marker) this.endFrame();
  }

  /** Packets between the last one and the next never came (the jitter buffer gave them up). */
  lost(): void {
    this.gap = true;
    this.desync("loss");
  }

  private desync(why: "loss" | "broken-frame"): void {
    if (this.synced) this.sink.needKeyframe(why);
    this.synced = false;
  }

  private endFrame(): void {
    const packets = this.packets;
    const broken = this.frameBroken;
    this.packets = [];
    this.frameBroken = false;
    this.timestamp = undefined;
    if (broken) this.counters.broken++;
    if (broken || packets.length === 0) return;
    let frame: { data: Buffer; isKeyframe: boolean; timestamp: number };
    try {
      frame = dePacketizeRtpPackets(this.codec, packets);
    } catch {
      return this.desync("broken-frame");
    }
    if (frame.data.length === 0) return;
    const keyframe = frame.isKeyframe && this.confirmKeyframe(frame.data);
    if (keyframe) this.synced = this.keyframeSeen = true;
    if (!this.synced) {
      this.counters.heldBack++;
      return this.sink.needKeyframe(this.keyframeSeen ? "loss" : "no-keyframe-yet");
    }
    this.counters.frames++;
    this.sink.frame({ data: frame.data, keyframe, timestamp: frame.timestamp });
  }
}

/**
 * Whether an RTP payload begins a frame: VP8 with the S bit and partition index 0 in its payload
 * descriptor (RFC 7741 4.2); H.264 unless it is the middle or end of a fragmented NAL unit
 * (FU-A without the S bit, RFC 6184 5.8).
 */
function startsFrame(codec: AssemblerCodec, payload: Buffer): boolean {
  const b0 = payload[0]!;
  if (codec === "VP8") return (b0 & 0x10) !== 0 && (b0 & 0x07) === 0;
  return (b0 & 0x1f) !== 28 || (payload.length > 1 && (payload[1]! & 0x80) !== 0);
}
