import { RtpHeader, RtpPacket, type RTCRtpSender } from "werift";
import type { OpusPacket } from "../../src/media/ogg-opus.js";
import { PacedStream } from "../../src/media/paced-stream.js";

/** A live voice being sent as it arrives (the technician's microphone through the local API). */
export interface LiveTalk {
  /** Sends one Opus packet now (dropped while muted). False once this live talk has ended. */
  push(packet: OpusPacket): boolean;
  /** Ends this live talk (the upload ended). */
  end(): void;
  /** Settles when the live talk ends: by `end`, by another talk replacing it, or by the peer closing. */
  readonly ended: Promise<void>;
  /** Packets of this live talk that went out (not muted, and the connection up). */
  readonly sentPackets: number;
}

/**
 * The technician's voice to the customer on the audio transceiver: an Ogg/Opus file paced in real
 * time, or a live source whose packets go out as they arrive. One talk at a time: a new one
 * replaces the old. RTP timestamps and sequence numbers continue across talks, so the customer's
 * jitter buffer sees one stream. While muted, the clock runs on and packets are dropped.
 */
export class TalkStream {
  sentPackets = 0;
  muted = false;
  private stream: PacedStream<OpusPacket> | undefined;
  private live: { stop(): void } | undefined;
  private seq = Math.floor(Math.random() * 0x1_0000);
  private readonly tsBase = Math.floor(Math.random() * 0x1_0000_0000);
  private lastTicks = 0;
  private tsOffset = 0;

  constructor(private readonly sender: RTCRtpSender) {}

  get playing(): boolean {
    return (this.stream?.running ?? false) || this.live !== undefined;
  }

  /** Plays `packets` (from readOggOpus) once, replacing any talk. Resolves when they have been played. */
  play(packets: OpusPacket[]): Promise<void> {
    this.stop();
    this.continueClock();
    return new Promise((resolve) => {
      this.stream = new PacedStream({
        items: packets,
        clockRate: 48_000,
        ticksOf: (packet) => packet.samples,
        send: (packet, ticks) => this.send(packet, ticks),
        loop: false,
        onEnd: resolve,
      });
      this.stream.start();
    });
  }

  /**
   * Starts a live talk, replacing any talk. The caller pushes packets as they arrive (their pace is
   * the source's: a microphone, or ffmpeg reading a file in real time); timestamps advance by
   * each packet's own duration.
   */
  startLive(): LiveTalk {
    this.stop();
    this.continueClock();
    let ticks = 0;
    let sent = 0;
    let done = false;
    let resolveEnded!: () => void;
    const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
    const handle = {
      stop: () => {
        if (done) return;
        done = true;
        if (this.live === handle) this.live = undefined;
        resolveEnded();
      },
    };
    this.live = handle;
    return {
      push: (packet) => {
        if (done) return false;
        if (this.send(packet, ticks)) sent++;
        ticks += packet.samples;
        return true;
      },
      end: handle.stop,
      ended,
      get sentPackets() {
        return sent;
      },
    };
  }

  stop(): void {
    this.stream?.stop();
    this.stream = undefined;
    this.live?.stop();
  }

  /** A new talk starts a packet after where the last one ended on the RTP clock. */
  private continueClock(): void {
    this.tsOffset += this.lastTicks + 960;
    this.lastTicks = 0;
  }

  private send(packet: OpusPacket, ticks: number): boolean {
    this.lastTicks = ticks + packet.samples;
    if (this.muted) return false;
    // werift drops a packet sent while DTLS is not up (or the codec not negotiated) without a word:
    // it is not counted as sent and takes no sequence number, so the customer sees no loss.
    if (this.sender.dtlsTransport?.state !== "connected" || !this.sender.codec) return false;
    const header = new RtpHeader({
      sequenceNumber: this.seq,
      timestamp: (this.tsBase + this.tsOffset + ticks) >>> 0,
      payloadType: 111,
    });
    this.seq = (this.seq + 1) & 0xffff;
    this.sentPackets++;
    void this.sender.sendRtp(new RtpPacket(header, packet.data));
    return true;
  }
}
