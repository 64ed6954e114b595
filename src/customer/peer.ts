import type { Socket } from "node:dgram";
import { EventEmitter } from "node:events";
import { closeSync, openSync, writeSync } from "node:fs";
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RtcpRrPacket,
  RtpHeader,
  RtpPacket,
  useH264,
  useOPUS,
  useVP8,
  type RTCRtpTransceiver,
} from "werift";
import { LENS_CHANNEL, LensCommand, type IceServer, type LensReply, type Signal } from "../protocol/index.js";
import { bundledClip } from "./assets.js";
import { opusPacketSamples, readOggOpus, type OpusPacket } from "../media/ogg-opus.js";
import { OggOpusWriter } from "../media/ogg-writer.js";
import { PacedStream } from "../media/paced-stream.js";
import { loadVideoClip, type ClipFrame, type VideoClip } from "../media/video-clip.js";

export interface CustomerPeerOptions {
  /** From the server's `joined` message; on loopback pass `[]`. */
  iceServers: IceServer[];
  /** Also gather 127.0.0.1 (tests, demo, everything on one machine). */
  loopback?: boolean;
  /** VP8 in IVF (`.ivf`) or H.264 Annex B (`.h264`, offered as the only video codec); default: the bundled clip. */
  videoPath?: string;
  audioPath?: string;
  /** Told of each packet sent and received, for benchmarks that time media end to end. */
  probe?: MediaProbe;
  /** No camera (denied, or none): only audio is offered and sent, as the Lens page falls back to. */
  noCamera?: boolean;
  /** Saves the technician's voice as it arrives to this Ogg/Opus file (mode 0600), for QA. */
  recordVoicePath?: string;
  /** Offer the Lens tools' data channel (the lead's connection, as the page does). */
  lensChannel?: boolean;
}

/** Times are `performance.timeOrigin + performance.now()`, comparable across the process. */
export interface MediaProbe {
  /** A clip frame (by its index in the clip) or an audio packet (by its index in the Ogg file) went out. */
  sent?(kind: "video" | "audio", index: number, atMs: number): void;
  /** An Opus packet of the technician's voice arrived. */
  receivedVoice?(payload: Buffer, atMs: number): void;
}

export type ConnectionState = "new" | "connecting" | "connected" | "disconnected" | "failed" | "closed";

export interface CustomerPeerEvents {
  signal: [Signal];
  state: [ConnectionState];
  /** The connection is up and the clip starts streaming (play). */
  streaming: [];
  /** The clip finished its duration. */
  ended: [];
  closed: [string];
}

const VIDEO_CLOCK = 90_000;
const AUDIO_CLOCK = 48_000;

/**
 * Send buffer of the media socket (Linux doubles it, and counts each datagram at about twice its
 * size): what the kernel may hold back while the next hop is unreachable and send late once it is
 * back, about a quarter of a second of the clip. The largest frame (~11 KB) fits; while
 * the network is there datagrams leave at once and the buffer never fills.
 */
const SEND_BUFFER_BYTES = 16 * 1024;

const random32 = (): number => Math.floor(Math.random() * 0x1_0000_0000);
const random16 = (): number => Math.floor(Math.random() * 0x1_0000);

/**
 * The customer's side of a Lens session: offers sendonly VP8 video and sendrecv Opus audio (the
 * technician's voice comes back on it) and streams a clip from IVF + Ogg files in real time.
 */
export class CustomerPeer extends EventEmitter<CustomerPeerEvents> {
  readonly pc: RTCPeerConnection;
  sentVideoFrames = 0;
  sentAudioPackets = 0;
  /** Frames and packets not sent because the network could not take them when they were due (an outage). */
  droppedVideoFrames = 0;
  droppedAudioPackets = 0;
  receivedAudioPackets = 0;
  keyframeRequests = 0;
  /** RTCP receiver reports about the video, from the technician. */
  receiverReports = 0;
  /** Lens commands that came on the data channel and passed the schema, in order. */
  readonly lensCommands: LensCommand[] = [];

  private readonly video: VideoClip;
  private readonly audio: OpusPacket[];
  private readonly videoTransceiver: RTCRtpTransceiver | undefined;
  private readonly audioTransceiver: RTCRtpTransceiver;
  private videoStream: PacedStream<ClipFrame> | undefined;
  private audioStream: PacedStream<OpusPacket> | undefined;
  private videoSeq = random16();
  private audioSeq = random16();
  private readonly videoTsBase = random32();
  private readonly audioTsBase = random32();
  private keyframeWanted = false;
  private paused = false;
  private state: ConnectionState = "new";
  private closed = false;
  private signalChain: Promise<void> = Promise.resolve();
  /** Candidates gathered before the offer went out: JSEP sends a description before its candidates. */
  private heldCandidates: Signal[] | null = [];
  private voiceFile: { fd: number; writer: OggOpusWriter } | undefined;
  /** The media socket whose send buffer was made small (see mediaSocket). */
  private tunedSocket: Socket | undefined;

  private readonly probe: MediaProbe | undefined;

  constructor(opts: CustomerPeerOptions) {
    super();
    this.probe = opts.probe;
    const clip = bundledClip();
    this.video = loadVideoClip(opts.videoPath ?? clip.video);
    this.audio = readOggOpus(opts.audioPath ?? clip.audio).packets;

    this.pc = new RTCPeerConnection({
      iceServers: opts.iceServers,
      iceAdditionalHostAddresses: opts.loopback ? ["127.0.0.1"] : undefined,
      // The default policy leaks a UDP socket after close and keeps the process alive.
      bundlePolicy: "max-bundle",
      codecs: { video: [this.video.codec === "h264" ? useH264() : useVP8()], audio: [useOPUS()] },
    });
    this.videoTransceiver = opts.noCamera ? undefined : this.pc.addTransceiver("video", { direction: "sendonly" });
    this.audioTransceiver = this.pc.addTransceiver(new MediaStreamTrack({ kind: "audio" }), {
      direction: "sendrecv",
    });
    if (opts.lensChannel) {
      // The offerer makes the channel, so that the offer negotiates it.
      const channel = this.pc.createDataChannel(LENS_CHANNEL, { ordered: true });
      channel.onMessage.subscribe((data) => {
        const parsed = typeof data === "string" && data.length <= 65536 ? LensCommand.safeParse(safeJson(data)) : undefined;
        if (!parsed?.success) return;
        this.lensCommands.push(parsed.data);
        // A simulated camera has neither zoom nor light: said truthfully.
        if (parsed.data.op === "zoom" || parsed.data.op === "torch") {
          const reply: LensReply = { op: "reply", id: parsed.data.id, applied: false, reason: "unsupported: a simulated camera" };
          channel.send(JSON.stringify(reply));
        }
      });
    }
    this.videoTransceiver?.sender.onPictureLossIndication.subscribe(() => {
      this.keyframeRequests++;
      this.keyframeWanted = true;
    });
    this.videoTransceiver?.sender.onRtcp.subscribe((packet) => {
      if (packet.type === RtcpRrPacket.type) this.receiverReports++;
    });
    if (opts.recordVoicePath) {
      const writer = new OggOpusWriter({ channels: 2 });
      const fd = openSync(opts.recordVoicePath, "w", 0o600);
      writeSync(fd, writer.header());
      this.voiceFile = { fd, writer };
    }
    this.audioTransceiver.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        this.receivedAudioPackets++;
        this.probe?.receivedVoice?.(rtp.payload, performance.timeOrigin + performance.now());
        const file = this.voiceFile;
        if (file && rtp.payload.length > 0) writeSync(file.fd, file.writer.packet(rtp.payload, opusPacketSamples(rtp.payload)));
      });
    });
    this.pc.onIceCandidate.subscribe((candidate) => {
      if (!candidate || this.closed) return;
      const c = candidate.toJSON();
      const signal: Signal = { kind: "candidate", candidate: { candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null } };
      // werift gathers inside setLocalDescription, so its first candidates come before the offer
      // could be sent; the technician's side would drop them as belonging to no offer.
      if (this.heldCandidates) this.heldCandidates.push(signal);
      else this.emit("signal", signal);
    });
    this.pc.connectionStateChange.subscribe((state) => {
      this.state = state;
      this.emit("state", state);
    });
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  /** Creates the offer and emits it as a `signal`, then the candidates gathered meanwhile. */
  async start(): Promise<void> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    this.emit("signal", { kind: "offer", sdp: this.pc.localDescription!.sdp });
    const held = this.heldCandidates ?? [];
    this.heldCandidates = null;
    for (const candidate of held) this.emit("signal", candidate);
  }

  /**
   * Applies a signal from the other side. Signals are applied one after another in arrival order
   * (a candidate must not overtake the description it belongs to); the promise settles with this one.
   */
  handleSignal(signal: Signal): Promise<void> {
    const applied = this.signalChain.then(() => this.applySignal(signal));
    this.signalChain = applied.catch(() => undefined);
    return applied;
  }

  private async applySignal(signal: Signal): Promise<void> {
    if (this.closed) return;
    if (signal.kind === "answer") await this.pc.setRemoteDescription({ type: "answer", sdp: signal.sdp });
    else if (signal.kind === "candidate")
      await this.pc.addIceCandidate({
        candidate: signal.candidate.candidate,
        sdpMid: signal.candidate.sdpMid ?? undefined,
        sdpMLineIndex: signal.candidate.sdpMLineIndex ?? undefined,
      });
    else throw new Error("the customer makes the offer; it does not take one");
  }

  /**
   * Streams the clip in real time (looping) for `durationSec`, or until closed when omitted.
   * Packets sent before DTLS is up are dropped silently, so this waits for `connected`.
   * Resolves when the duration has been streamed.
   */
  async play(durationSec?: number): Promise<void> {
    if (this.audioStream) throw new Error("already playing");
    await this.waitConnected();
    this.emit("streaming");
    let onEnd!: () => void;
    const ended = new Promise<void>((resolve) => {
      let remaining = this.videoTransceiver ? 2 : 1;
      onEnd = (): void => {
        if (--remaining === 0) {
          this.emit("ended");
          resolve();
        }
      };
    });
    const video = this.videoTransceiver
      ? new PacedStream({
          items: this.video.frames,
          clockRate: VIDEO_CLOCK,
          ticksOf: (frame) => frame.ticks,
          send: (frame, ticks, index) => this.sendVideo(frame, ticks, index),
          loop: true,
          limitTicks: durationSec === undefined ? undefined : Math.round(durationSec * VIDEO_CLOCK),
          onEnd,
        })
      : undefined;
    const audio = new PacedStream({
      items: this.audio,
      clockRate: AUDIO_CLOCK,
      ticksOf: (packet) => packet.samples,
      send: (packet, ticks, index) => this.sendAudio(packet, ticks, index),
      loop: true,
      limitTicks: durationSec === undefined ? undefined : Math.round(durationSec * AUDIO_CLOCK),
      onEnd,
    });
    this.videoStream = video;
    this.audioStream = audio;
    video?.start();
    audio.start();
    return ended;
  }

  /**
   * Counts as dropped what fell due over `ms` of wall time during which there was no connection to
   * send it on (between a dead connection and the one that replaced it), at the clip's own frame
   * and packet rates: a camera does not stop while its network is gone, so sent + dropped stays
   * what fell due.
   */
  dropUnsent(ms: number): void {
    if (ms <= 0) return;
    const mean = (items: readonly { ticks?: number; samples?: number }[], of: (i: never) => number) =>
      items.length === 0 ? 0 : items.reduce((a, i) => a + of(i as never), 0) / items.length;
    const frameTicks = this.videoTransceiver ? mean(this.video.frames, (f: { ticks: number }) => f.ticks) : 0;
    const packetSamples = mean(this.audio, (p: { samples: number }) => p.samples);
    if (frameTicks > 0) this.droppedVideoFrames += Math.round((ms / 1000) * (VIDEO_CLOCK / frameTicks));
    if (packetSamples > 0) this.droppedAudioPackets += Math.round((ms / 1000) * (AUDIO_CLOCK / packetSamples));
  }

  pause(): void {
    this.paused = true;
    this.videoStream?.pause();
    this.audioStream?.pause();
  }

  /** Resumes after a pause; video restarts at the next keyframe so the receiver can decode at once. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.videoStream) {
      this.videoStream.seek(this.nextKeyframe(this.videoStream.nextIndex));
      this.keyframeWanted = false;
    }
    this.videoStream?.resume();
    this.audioStream?.resume();
  }

  async close(reason = "closed"): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.videoStream?.stop();
    this.audioStream?.stop();
    await this.pc.close();
    if (this.voiceFile) {
      writeSync(this.voiceFile.fd, this.voiceFile.writer.end());
      closeSync(this.voiceFile.fd);
      this.voiceFile = undefined;
    }
    this.emit("closed", reason);
  }

  private waitConnected(): Promise<void> {
    if (this.state === "connected") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onState = (state: ConnectionState): void => {
        if (state === "connected") {
          this.off("state", onState);
          resolve();
        } else if (state === "failed" || state === "closed") {
          this.off("state", onState);
          reject(new Error(`connection ${state} before streaming`));
        }
      };
      this.on("state", onState);
    });
  }

  private nextKeyframe(from: number): number {
    const frames = this.video.frames;
    for (let i = 0; i < frames.length; i++) {
      const index = (from + i) % frames.length;
      if (frames[index]!.keyframe) return index;
    }
    return from;
  }

  /**
   * The UDP socket media leaves by (the nominated ICE pair's), when it is a plain UDP socket;
   * undefined before ICE has chosen one or over a relay.
   */
  private mediaSocket(): Socket | undefined {
    const pair = this.pc.dtlsTransports[0]?.iceTransport.connection.nominated;
    const transport = (pair?.protocol as { transport?: { socket?: unknown } } | undefined)?.transport;
    const socket = transport?.socket as Socket | undefined;
    if (socket && socket !== this.tunedSocket) {
      // The kernel keeps what it cannot send yet (an unreachable next hop) against this buffer and
      // sends it when the network is back: a small one holds well under a second of media.
      this.tunedSocket = socket;
      try {
        socket.setSendBufferSize(SEND_BUFFER_BYTES);
      } catch {
        // A closed socket: nothing to tune.
      }
    }
    return socket;
  }

  /**
   * True when the network cannot take media now: the kernel refused the last datagrams (its
   * buffer is full, as while the link is down) and they wait in the process. A camera does not
   * send later what it could not send when it was taken: the frame or packet due now is dropped,
   * so after an outage the stream goes on live instead of sending the outage's media in a burst.
   */
  private backlogged(): boolean {
    const socket = this.mediaSocket();
    if (!socket) return false;
    try {
      return socket.getSendQueueCount() > 0;
    } catch {
      return false;
    }
  }

  private sendVideo(frame: ClipFrame, ticks: number, index: number): void {
    if (this.backlogged()) {
      this.droppedVideoFrames++;
      // What follows a dropped frame cannot be decoded without it: go on with a keyframe.
      this.keyframeWanted = true;
      return;
    }
    let sentIndex = index;
    if (this.keyframeWanted) {
      // Answer a PLI with the clip's next keyframe, sent now in place of this delta frame.
      this.keyframeWanted = false;
      const key = this.nextKeyframe(index);
      if (key !== index) {
        this.videoStream!.seek(key);
        frame = this.video.frames[key]!;
        sentIndex = key;
      }
    }
    const payloads = frame.packetize();
    const timestamp = (this.videoTsBase + ticks) >>> 0;
    payloads.forEach((payload, i) => {
      const header = new RtpHeader({
        sequenceNumber: this.videoSeq,
        timestamp,
        marker: i === payloads.length - 1,
        payloadType: 96,
      });
      this.videoSeq = (this.videoSeq + 1) & 0xffff;
      void this.videoTransceiver!.sender.sendRtp(new RtpPacket(header, payload));
    });
    this.sentVideoFrames++;
    this.probe?.sent?.("video", sentIndex, performance.timeOrigin + performance.now());
  }

  private sendAudio(packet: OpusPacket, ticks: number, index: number): void {
    if (this.backlogged()) {
      this.droppedAudioPackets++;
      return;
    }
    const header = new RtpHeader({
      sequenceNumber: this.audioSeq,
      timestamp: (this.audioTsBase + ticks) >>> 0,
      marker: false,
      payloadType: 111,
    });
    this.audioSeq = (this.audioSeq + 1) & 0xffff;
    void this.audioTransceiver.sender.sendRtp(new RtpPacket(header, packet.data));
    this.sentAudioPackets++;
    this.probe?.sent?.("audio", index, performance.timeOrigin + performance.now());
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
