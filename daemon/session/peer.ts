import { EventEmitter } from "node:events";
import { rm } from "node:fs/promises";
import { GenericNack, RTCDtlsTransport, RTCPeerConnection, RtcpTransportLayerFeedback, useH264, useOPUS, useVP8, type MediaStreamTrack, type RtpPacket } from "werift";
import { LENS_CHANNEL, type IceServer, type SessionStats, type Signal } from "../../src/protocol/index.js";
import { LensChannel } from "./lens-channel.js";
import { vp8KeyframeSize } from "./media-codecs.js";
import { congestionHeaderExtensions, RembController, restrictOffer } from "./congestion-control.js";
import { h264DecoderConfig } from "./media-h264.js";
import { Recorder, type RecordingSummary, type VideoCodec } from "./recorder.js";
import { writeManifest, type ManifestFields } from "./recorder-manifest.js";
import { Timeline } from "./timeline.js";
import { RateWindow, SequenceTracker } from "./stats-counters.js";
import { readOggOpus, type OpusPacket } from "../../src/media/ogg-opus.js";
import { TalkStream, type LiveTalk } from "./talk.js";
import { VideoTap } from "./video-tap.js";
import { FrameAssembler } from "./frame-assembler.js";
import { JitterBuffer } from "./jitter-buffer.js";
import { MediaWatch } from "./media-watch.js";
import { NackRequester } from "./nack-requester.js";

// werift makes one DTLS certificate per process (ECDSA P-256, self-signed), the first time an
// answer needs it: 15-30 ms inside the first connection's offer -> connected. Made when the media
// engine loads (daemon start) instead; a failure here is met again, and reported, by that answer.
RTCDtlsTransport.SetupCertificate().catch(() => undefined);

export interface TechnicianPeerOptions {
  /** From the server's configuration; `[]` on loopback. */
  iceServers: IceServer[];
  /** Also gather 127.0.0.1 (tests, demo, everything on one machine). */
  loopback?: boolean;
  /** More local addresses to offer as host candidates (RESCUE_ICE_HOST_ADDRESSES). */
  hostAddresses?: string[];
  /** Percentage of inbound packets to keep (tests of loss recovery); 100 or unset keeps all. */
  inboundKeepPercent?: number;
  /** Ask for a keyframe when none came for this long while recording (bounds what a crash can lose). */
  keyframeIntervalMs?: number;
}

export interface StartMediaOptions {
  /** Where to record; null for no recording. */
  recordPath: string | null;
  /** Written into the manifest beside the recording. */
  manifest?: ManifestFields;
}

export interface ClosedInfo {
  reason: string;
  recording: RecordingSummary | null;
  manifestPath: string | null;
  recordingError: string | null;
}

export interface TechnicianPeerEvents {
  signal: [Signal];
  state: [string];
  connected: [];
  /** First decodable video frame after startMedia (or after resume). */
  "first-frame": [{ afterMs: number; width: number | null; height: number | null }];
  "keyframe-request": [string];
  /** Writing the recording failed (a full disk): it stopped, the media goes on. */
  "recording-error": [{ message: string; path: string }];
  /** One Opus packet of the customer's voice, while media runs (started, not on hold). */
  audio: [Buffer];
  closed: [ClosedInfo];
  error: [Error];
}

const KEYFRAME_REQUEST_GAP_MS = 300;
/** SO_RCVBUF asked for the media socket: seconds of a 1 Mbit/s stream (Linux doubles it for bookkeeping, and caps it). */
const MEDIA_RECEIVE_BUFFER_BYTES = 2 * 1024 * 1024;
/**
 * Bounds of the video jitter buffer's wait for a retransmission (ms). 200 ms covers a NACK and its
 * repeat on a near path; a slow path or a busy machine waits longer, up to two seconds, since a
 * packet given up costs every frame until the next keyframe: the PLI takes the same slow way as the
 * retransmission would have, and a large frame follows.
 */
const MIN_VIDEO_WAIT_MS = 200;
const MAX_VIDEO_WAIT_MS = 2000;

/**
 * The technician's side of a Lens session: answers the customer's offer (VP8, or H264 when that is
 * all the customer offers, plus Opus; NACK and PLI feedback, RTCP receiver reports), records what
 * arrives once media is started, and sends the technician's voice back on the audio transceiver.
 */
export class TechnicianPeer extends EventEmitter<TechnicianPeerEvents> {
  readonly pc: RTCPeerConnection;
  /** Whether media arrives: lost and restored, for the session log, stats and the technician. */
  readonly path = new MediaWatch();
  /** Lens tools to the customer's page, on the data channel its offer carries. */
  readonly lens = new LensChannel();
  /** The live picture for viewers and snapshots. */
  readonly video = new VideoTap(
    () => this.videoCodec,
    (why) => this.requestKeyframe(why),
  );
  private videoTrack: MediaStreamTrack | undefined;
  private talkStream: TalkStream | undefined;
  private videoCodec: VideoCodec | null = null;
  private audioCodec: string | null = null;
  private recorder: Recorder | null = null;
  /** What happens during the recording, on its clock (null when not recording). */
  private recordingTimeline: Timeline | null = null;
  private manifestFields: ManifestFields | undefined;
  private startedAt: Date | undefined;
  private mediaStartMs: number | undefined;
  private startMediaMs: number | undefined;
  private mediaOn = false;
  private held = false;
  private customerPaused = false;
  private jitter: JitterBuffer | undefined;
  /** Asks the customer to retransmit lost video packets (in place of werift's NackHandler). */
  private nack: NackRequester | undefined;
  private assembler: FrameAssembler | undefined;
  private waitingFirstFrame = false;
  private lastKeyframeRequestMs = -Infinity;
  private lastKeyframeMs = 0;
  private keyframeTimer: NodeJS.Timeout | undefined;
  private closing: Promise<ClosedInfo> | undefined;
  private signalChain: Promise<void> = Promise.resolve();
  private readonly keyframeIntervalMs: number;
  /** Receive-side congestion control: the estimate goes to the customer in REMB. */
  readonly remb: RembController;

  private frames = 0;
  private width: number | null = null;
  private height: number | null = null;
  private readonly fps = new RateWindow();
  private readonly videoBytes = new RateWindow();
  private readonly videoSeq = new SequenceTracker();
  private readonly audioSeq = new SequenceTracker(0);
  private audioPackets = 0;
  /** What loss cost and what repaired it, summed over every jitter buffer and assembler of this peer. */
  private readonly lossTotals: LossCounters = emptyLossCounters();
  /** Arrival of the first packet of recent frames, by RTP timestamp. */
  private readonly frameArrivals = new Map<number, number>();

  constructor(opts: TechnicianPeerOptions) {
    super();
    this.keyframeIntervalMs = opts.keyframeIntervalMs ?? 5000;
    this.pc = new RTCPeerConnection({
      iceServers: opts.iceServers,
      iceAdditionalHostAddresses: additionalHostAddresses(opts),
      // The default policy leaks a UDP socket after close and keeps the process alive.
      bundlePolicy: "max-bundle",
      // The answer echoes the offered feedback, restricted by restrictOffer to NACK, PLI and REMB;
      // receiver reports are sent for every receiver.
      codecs: { video: [useVP8(), useH264()], audio: [useOPUS()] },
      headerExtensions: congestionHeaderExtensions(),
      debug:
        opts.inboundKeepPercent !== undefined && opts.inboundKeepPercent < 100
          ? { inboundPacketLoss: opts.inboundKeepPercent }
          : undefined,
    });
    this.pc.onIceCandidate.subscribe((candidate) => {
      if (!candidate || this.closing) return;
      const c = candidate.toJSON();
      this.emit("signal", {
        kind: "candidate",
        candidate: { candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null },
      });
    });
    this.pc.connectionStateChange.subscribe((state) => {
      this.emit("state", state);
      this.path.ice(state);
      if (state === "connected") {
        this.enlargeReceiveBuffers();
        this.emit("connected");
      }
    });
    this.pc.onTrack.subscribe((track) => this.onTrack(track));
    this.pc.onDataChannel.subscribe((channel) => {
      if (channel.label === LENS_CHANNEL) this.lens.attach(channel);
    });
    const videoReceiver = () => this.pc.getTransceivers().find((t) => t.kind === "video")?.receiver;
    this.remb = new RembController({
      send: async (packet) => videoReceiver()?.dtlsTransport?.sendRtcp([packet]),
      senderSsrc: () => videoReceiver()?.rtcpSsrc,
    });
  }

  get connectionState(): string {
    return this.pc.connectionState;
  }

  /** The recording's timeline: the session manager adds what happens to it (null when not recording). */
  get timeline(): Timeline | null {
    return this.recordingTimeline;
  }

  get recordingPath(): string | null {
    return this.recorder?.path ?? null;
  }

  /** Milliseconds from startMedia until the first video frame was written to the recording, once it has been. */
  get firstFrameWrittenMs(): number | null {
    const at = this.recorder?.firstVideoWrittenAt;
    return at === undefined || this.startMediaMs === undefined ? null : at - this.startMediaMs;
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
    if (this.closing) return;
    if (signal.kind === "offer") {
      // werift's answer echoes the offer's feedback and fmtp: restricted to what this receiver implements.
      await this.pc.setRemoteDescription({ type: "offer", sdp: restrictOffer(signal.sdp) });
      for (const transceiver of this.pc.getTransceivers()) {
        const codec = transceiver.codecs[0]?.mimeType.toLowerCase();
        if (transceiver.kind === "video") {
          this.videoCodec = codec === "video/h264" ? "h264" : codec === "video/vp8" ? "vp8" : null;
        } else if (transceiver.kind === "audio") {
          this.audioCodec = codec === "audio/opus" ? "opus" : null;
          // Answer sendrecv so the technician's voice can go back on the customer's audio m-line.
          transceiver.setDirection("sendrecv");
          this.talkStream = new TalkStream(transceiver.sender);
        }
      }
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      this.emit("signal", { kind: "answer", sdp: this.pc.localDescription!.sdp });
    } else if (signal.kind === "candidate") {
      await this.pc.addIceCandidate({
        candidate: signal.candidate.candidate,
        sdpMid: signal.candidate.sdpMid ?? undefined,
        sdpMLineIndex: signal.candidate.sdpMLineIndex ?? undefined,
      });
    } else {
      throw new Error("the technician answers; it does not take an answer");
    }
  }

  /**
   * Opens the tracks for recording (the session became active) and asks for a keyframe at once.
   * Returns the recording's path: `.webm` becomes `.mkv` when the video is H.264.
   */
  startMedia(opts: StartMediaOptions): { recording: string | null } {
    if (this.closing) throw new Error("peer is closed");
    if (this.mediaOn) return { recording: this.recordingPath };
    if (opts.recordPath) {
      if (!this.videoCodec && !this.audioCodec) throw new Error("the customer offered neither VP8/H.264 video nor Opus audio");
      // WebM cannot hold H.264: such a recording goes to Matroska beside the requested path.
      const path = this.videoCodec === "h264" ? opts.recordPath.replace(/\.webm$/i, ".mkv") : opts.recordPath;
      // A customer without a camera (denied, or none) is recorded as audio alone, in WebM.
      this.recorder = new Recorder({
        path,
        videoCodec: this.videoCodec ?? "vp8",
        expectVideo: this.videoCodec !== null,
        onError: (error) => this.emit("recording-error", { message: error.message, path }),
      });
      this.manifestFields = opts.manifest;
      const recorder = this.recorder;
      // A timeline that cannot be written (a full disk) is logged; the recording goes on, and the
      // manifest still gets the timeline kept in memory.
      this.recordingTimeline = new Timeline(path, (nowMs) => recorder.clockMs(nowMs), (error) =>
        this.emit("error", new Error(`the timeline of ${path} could not be written: ${error.message}`)),
      );
    }
    this.startedAt = new Date();
    this.startMediaMs = performance.now();
    this.mediaOn = true;
    this.resetVideoPipeline();
    this.requestKeyframe("start", true);
    this.keyframeTimer = setInterval(() => {
      if (!this.held && performance.now() - this.lastKeyframeMs > this.keyframeIntervalMs) this.requestKeyframe("interval");
    }, 1000);
    return { recording: this.recordingPath };
  }

  hold(): void {
    this.held = true;
    this.path.setQuiet(true);
  }

  /** The customer paused their camera and microphone (the Lens page's pause): silence is expected. */
  setCustomerPaused(paused: boolean): void {
    this.customerPaused = paused;
    this.path.setQuiet(paused || this.held);
  }

  /** Leaves hold: the decoder state is stale, so wait for and ask for a keyframe. */
  resume(): void {
    if (!this.held) return;
    this.held = false;
    this.path.setQuiet(this.customerPaused);
    if (this.mediaOn) {
      this.resetVideoPipeline();
      this.requestKeyframe("resume", true);
    }
  }

  /**
   * Streams an Ogg/Opus file (a path, read at once, or its packets) to the customer, replacing any
   * talk; resolves when it has been played. Throws at once when there is nothing to talk on.
   */
  talk(source: string | OpusPacket[]): Promise<void> {
    const talk = this.talkReady();
    return talk.play(typeof source === "string" ? readOggOpus(source).packets : source);
  }

  /** Starts a live talk (packets pushed as they arrive), replacing any talk. Throws when not connected. */
  talkLive(): LiveTalk {
    return this.talkReady().startLive();
  }

  private talkReady(): TalkStream {
    if (!this.talkStream) throw new Error("no audio transceiver to talk on");
    if (this.pc.connectionState !== "connected") throw new Error("not connected");
    return this.talkStream;
  }

  mute(): void {
    if (this.talkStream) this.talkStream.muted = true;
  }

  unmute(): void {
    if (this.talkStream) this.talkStream.muted = false;
  }

  /**
   * Gives every UDP socket media may arrive on a larger receive buffer than the system default
   * (about 200 KB, some 90 datagrams): when the daemon's event loop stalls (a busy machine, many
   * sessions, a recording's disk write), a keyframe burst or a few hundred ms of video waits there
   * instead of being dropped by the kernel, which NACK must then repair. Every local candidate's
   * socket, not only the pair this side calls nominated: the sender picks the pair it sends on, and
   * werift's controlled agent can keep a different one (with several sessions connecting at once the
   * customer sent on its IPv6 pair while this side had nominated IPv4, and every datagram the
   * default buffer could not hold was lost). The kernel caps the size at net.core.rmem_max; the
   * buffer is a limit, not memory taken. Relayed (TURN over TCP/TLS) paths have no such socket.
   */
  private enlargeReceiveBuffers(): void {
    for (const transport of this.pc.iceTransports) {
      // werift's types keep the agent's protocols private; a UDP one holds a dgram socket.
      const protocols = (transport.connection as unknown as { protocols?: Array<{ transport?: { socket?: { setRecvBufferSize?: (n: number) => void } } }> }).protocols ?? [];
      for (const protocol of protocols) {
        try {
          protocol.transport?.socket?.setRecvBufferSize?.(MEDIA_RECEIVE_BUFFER_BYTES);
        } catch {
          // Not bound (closing) or refused: the default buffer still works.
        }
      }
    }
  }

  /** The candidate types of the nominated pair (host, srflx, prflx, relay), once there is one. */
  private route(): { route?: { local: string; remote: string } } {
    const pair = this.pc.iceTransports[0]?.connection.nominated;
    return pair ? { route: { local: pair.localCandidate.type, remote: pair.remoteCandidate.type } } : {};
  }

  stats(): SessionStats {
    const stats: SessionStats = {
      connection: { state: this.path.state, since: new Date(this.path.since).toISOString(), ...this.route() },
      video: {
        codec: this.videoCodec,
        width: this.width,
        height: this.height,
        frames: this.frames,
        fps: this.fps.sum(),
        bitrateKbps: Math.round((this.videoBytes.sum() * 8) / 1000),
        packetsLost: this.videoSeq.lost,
        packetsRecovered: this.videoSeq.recovered,
      },
      audio: {
        codec: this.audioCodec,
        packets: this.audioPackets,
        packetsLost: this.audioSeq.lost,
        sentPackets: this.talkStream?.sentPackets ?? 0,
        muted: this.talkStream?.muted ?? false,
      },
    };
    if (this.customerPaused) stats.paused = "customer";
    else if (this.held) stats.paused = "hold";
    if (this.recorder) {
      stats.recording = { path: this.recorder.path, bytes: this.recorder.bytes, frames: this.recorder.videoFrames };
      if (this.recorder.error) stats.recording.error = this.recorder.error.message;
    }
    return stats;
  }

  /** Closes the connection, finalises the recording and writes its manifest. Idempotent. */
  close(reason = "closed"): Promise<ClosedInfo> {
    this.closing ??= this.shutdown(reason);
    return this.closing;
  }

  private async shutdown(reason: string): Promise<ClosedInfo> {
    clearInterval(this.keyframeTimer);
    this.remb.stop();
    this.lens.close();
    this.talkStream?.stop();
    this.mediaOn = false;
    this.video.close();
    this.path.close();
    this.retireCounters();
    this.nack?.close();
    this.jitter?.destroy();
    this.jitter = undefined;
    this.assembler = undefined;
    await this.pc.close().catch(() => undefined);
    const info: ClosedInfo = { reason, recording: null, manifestPath: null, recordingError: null };
    const recorder = this.recorder;
    if (recorder) {
      try {
        info.recording = await recorder.finalise();
      } catch (error) {
        info.recordingError = error instanceof Error ? error.message : String(error);
      }
      const timeline = await this.recordingTimeline?.close();
      // A recording that stopped early keeps its partial file, listed with complete: false.
      const summary = info.recording ?? (recorder.bytes > 0 ? recorder.summary() : null);
      // A connection that never brought media (remade before its first keyframe) leaves no segment.
      if (!summary && this.recordingTimeline) await rm(this.recordingTimeline.path, { force: true }).catch(() => undefined);
      if (summary && this.manifestFields) {
        try {
          const written = await writeManifest(summary, {
            ...this.manifestFields,
            startedAt: this.startedAt ?? new Date(),
            endedAt: new Date(),
            codecs: { video: summary.videoFrames > 0 ? this.videoCodec : null, audio: this.audioCodec },
            ...(info.recordingError ? { error: info.recordingError } : {}),
            timeline,
          });
          info.manifestPath = written.path;
        } catch (error) {
          info.recordingError ??= `the manifest could not be written: ${(error as Error).message}`;
        }
      }
    }
    this.emit("closed", info);
    return info;
  }

  private onTrack(track: MediaStreamTrack): void {
    // Every packet of both tracks feeds the bandwidth estimate (REMB covers the whole session).
    const kind = track.kind === "video" ? "video" : "audio";
    track.onReceiveRtp.subscribe((rtp, extensions) => this.remb.onRtp(rtp, extensions, kind));
    if (track.kind === "video") {
      this.videoTrack = track;
      const receiver = this.pc.getTransceivers().find((t) => t.kind === "video")?.receiver;
      if (receiver) {
        // werift's own NackHandler (private in its types) stops; our patch then feeds it nothing.
        (receiver as unknown as { nack: { close(): void } }).nack.close();
        this.nack?.close();
        this.nack = new NackRequester({
          send: (lost) => {
            const ssrc = this.videoTrack?.ssrc;
            if (ssrc === undefined || this.closing || !receiver.dtlsTransport) return;
            const feedback = new GenericNack({ senderSsrc: receiver.rtcpSsrc, mediaSourceSsrc: ssrc, lost });
            receiver.dtlsTransport.sendRtcp([new RtcpTransportLayerFeedback({ feedback })]).catch(() => undefined);
          },
        });
      }
      track.onReceiveRtp.subscribe((rtp) => this.onVideoRtp(rtp));
    } else if (track.kind === "audio") {
      track.onReceiveRtp.subscribe((rtp) => this.onAudioRtp(rtp));
    }
  }

  private onVideoRtp(rtp: RtpPacket): void {
    const { timestamp } = rtp.header;
    if (!this.frameArrivals.has(timestamp)) {
      this.frameArrivals.set(timestamp, performance.now());
      if (this.frameArrivals.size > 64) this.frameArrivals.delete(this.frameArrivals.keys().next().value!);
    }
    this.path.packet();
    this.nack?.packet(rtp.header.sequenceNumber, timestamp);
    this.videoSeq.add(rtp.header.sequenceNumber);
    this.videoBytes.add(rtp.payload.length);
    if (this.mediaOn && !this.held) this.jitter?.input(rtp);
  }

  private onAudioRtp(rtp: RtpPacket): void {
    this.path.packet();
    this.audioSeq.add(rtp.header.sequenceNumber);
    this.audioPackets++;
    // Audio goes straight through: Opus has no NACK here, so waiting for a missing packet gains nothing.
    if (!this.mediaOn || this.held) return;
    this.recorder?.addAudioPacket(rtp.payload, rtp.header.timestamp);
    if (this.listenerCount("audio") > 0) this.emit("audio", rtp.payload);
  }

  /** Jitter buffer (orders, waits for NACK retransmissions), frame assembler (whole frames, from a keyframe on, none after a loss until the next keyframe). */
  private resetVideoPipeline(): void {
    this.retireCounters();
    this.jitter?.destroy();
    this.assembler = this.newAssembler();
    this.jitter = new JitterBuffer(
      // Long enough for a NACK and its repeat to be answered at the measured round trip, and for as
      // long as lost packets have taken to come back, within bounds.
      { clockRate: 90_000, latencyMs: () => Math.min(MAX_VIDEO_WAIT_MS, Math.max(MIN_VIDEO_WAIT_MS, this.nack?.twoAttemptsMs ?? 0, this.nack?.recoveryWaitMs ?? 0)) },
      {
        packet: (rtp) => this.assembler?.packet(rtp),
        // Given up after waiting for retransmission: the frames that follow need a keyframe.
        loss: (range) => {
          this.nack?.giveUp(range.from, range.to);
          this.assembler?.lost();
        },
        // A restarted sender's sequence does not continue what came before: start again from a keyframe.
        restart: () => {
          this.retireCounters(false);
          this.assembler = this.newAssembler();
        },
      },
    );
    this.waitingFirstFrame = true;
    this.mediaStartMs = performance.now();
  }

  /**
   * Counts of video loss and its repair since the peer was made: packets missing on arrival and
   * recovered later (by the arrival tracker), NACKs sent and the sequence numbers they asked for,
   * what the jitter buffer gave up or got too late, frames held back for a keyframe, keyframe requests.
   */
  lossCounters(): LossCounters {
    const totals = { ...this.lossTotals, keyframeRequests: { ...this.lossTotals.keyframeRequests } };
    addPipelineCounters(totals, this.jitter, this.assembler);
    if (this.nack) {
      totals.nacksSent = this.nack.counters.nacks;
      totals.nackedSequenceNumbers = this.nack.counters.requested;
      totals.nackRepeats = this.nack.counters.repeats;
      totals.nackRttMs = Math.round(this.nack.rttMs * 10) / 10;
      totals.nackRecoveryMs = Math.round(this.nack.recoveryMs * 10) / 10;
    }
    totals.packetsMissing = this.videoSeq.recovered + this.videoSeq.lost;
    totals.packetsRecovered = this.videoSeq.recovered;
    return totals;
  }

  /** Adds the current jitter buffer's (unless `jitter` is false) and assembler's counts to the totals before they are replaced. */
  private retireCounters(jitter = true): void {
    addPipelineCounters(this.lossTotals, jitter ? this.jitter : undefined, this.assembler);
  }

  private newAssembler(): FrameAssembler {
    const vp8 = this.videoCodec !== "h264";
    return new FrameAssembler(
      vp8 ? "VP8" : "MPEG4/ISO/AVC",
      {
        frame: (frame) => this.onVideoFrame(frame.data, frame.keyframe, frame.timestamp),
        needKeyframe: (why) => this.requestKeyframe(why),
      },
      // A VP8 keyframe also carries its start code and size (RFC 6386 9.1).
      vp8 ? (data) => vp8KeyframeSize(data) !== null : undefined,
    );
  }

  private onVideoFrame(data: Buffer, keyframe: boolean, timestamp: number): void {
    if (keyframe) {
      this.lastKeyframeMs = performance.now();
      const size = this.videoCodec === "vp8" ? vp8KeyframeSize(data) : h264DecoderConfig(data);
      if (size) {
        this.width = size.width;
        this.height = size.height;
      }
    }
    this.frames++;
    this.fps.add(1);
    this.recorder?.addVideoFrame({ data, keyframe, timestamp, arrivalMs: this.frameArrivals.get(timestamp) });
    this.video.publish({ data, keyframe, timestamp });
    if (this.waitingFirstFrame) {
      this.waitingFirstFrame = false;
      this.emit("first-frame", {
        afterMs: performance.now() - (this.mediaStartMs ?? 0),
        width: this.width,
        height: this.height,
      });
    }
  }

  private requestKeyframe(why: string, force = false): void {
    const ssrc = this.videoTrack?.ssrc;
    const now = performance.now();
    if (ssrc === undefined || this.closing) return;
    if (!force && now - this.lastKeyframeRequestMs < KEYFRAME_REQUEST_GAP_MS) return;
    this.lastKeyframeRequestMs = now;
    this.lossTotals.keyframeRequests[why] = (this.lossTotals.keyframeRequests[why] ?? 0) + 1;
    this.emit("keyframe-request", why);
    const receiver = this.pc.getTransceivers().find((t) => t.kind === "video")?.receiver;
    void receiver?.sendRtcpPLI(ssrc);
  }
}

/** See TechnicianPeer.lossCounters. */
export interface LossCounters {
  packetsMissing: number;
  packetsRecovered: number;
  nacksSent: number;
  nackedSequenceNumbers: number;
  /** NACKs repeated because the retransmission had not come within the retry time. */
  nackRepeats: number;
  /** Smoothed NACK -> retransmission round trip (ms). */
  nackRttMs: number;
  /** Smoothed time from a lost packet's first NACK to its arrival, repeats and late arrivals included (ms). */
  nackRecoveryMs: number;
  /** Given up by the jitter buffer after waiting for a retransmission. */
  packetsGivenUp: number;
  /** Arrived after the jitter buffer had given them up or passed them. */
  packetsTooLate: number;
  framesHeldBack: number;
  framesBroken: number;
  keyframeRequests: Record<string, number>;
}

function emptyLossCounters(): LossCounters {
  return { packetsMissing: 0, packetsRecovered: 0, nacksSent: 0, nackedSequenceNumbers: 0, nackRepeats: 0, nackRttMs: 0, nackRecoveryMs: 0, packetsGivenUp: 0, packetsTooLate: 0, framesHeldBack: 0, framesBroken: 0, keyframeRequests: {} };
}

function addPipelineCounters(totals: LossCounters, jitter: JitterBuffer | undefined, assembler: FrameAssembler | undefined): void {
  if (jitter) {
    totals.packetsGivenUp += jitter.counters.lost;
    totals.packetsTooLate += jitter.counters.tooLate;
  }
  if (assembler) {
    totals.framesHeldBack += assembler.counters.heldBack;
    totals.framesBroken += assembler.counters.broken;
  }
}

function additionalHostAddresses(opts: TechnicianPeerOptions): string[] | undefined {
  const all = [...(opts.loopback ? ["127.0.0.1"] : []), ...(opts.hostAddresses ?? [])];
  return all.length ? all : undefined;
}
