import { RtpHeader, RtpPacket, type RTCRtpSender } from "werift";
import { readOggOpus, type OpusPacket } from "../../src/media/ogg-opus.js";
import { PacedStream } from "../../src/media/paced-stream.js";

/**
 * The technician's voice to the customer: streams an Ogg/Opus file in real time on the audio
 * transceiver. While muted, the clock runs on and packets are dropped, so unmuting continues in step.
 */
export class TalkStream {
  sentPackets = 0;
  muted = false;
  private stream: PacedStream<OpusPacket> | undefined;
  private seq = Math.floor(Math.random() * 0x1_0000);
  private readonly tsBase = Math.floor(Math.random() * 0x1_0000_0000);
  private lastTicks = 0;
  private tsOffset = 0;

  constructor(private readonly sender: RTCRtpSender) {}

  get playing(): boolean {
    return this.stream?.running ?? false;
  }

  /** Plays `oggPath` once; a talk already playing is replaced. Resolves when the file has been played. */
  play(oggPath: string): Promise<void> {
    const packets = readOggOpus(oggPath).packets;
    this.stop();
    // Keep RTP timestamps increasing across files so the customer's jitter buffer sees one stream.
    this.tsOffset += this.lastTicks + 960;
    this.lastTicks = 0;
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

  stop(): void {
    this.stream?.stop();
    this.stream = undefined;
  }

  private send(packet: OpusPacket, ticks: number): void {
    this.lastTicks = ticks + packet.samples;
    if (this.muted) return;
    const header = new RtpHeader({
      sequenceNumber: this.seq,
      timestamp: (this.tsBase + this.tsOffset + ticks) >>> 0,
      payloadType: 111,
    });
    this.seq = (this.seq + 1) & 0xffff;
    this.sentPackets++;
    void this.sender.sendRtp(new RtpPacket(header, packet.data));
  }
}
