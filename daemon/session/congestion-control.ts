import {
  ReceiverEstimatedMaxBitrate,
  RTP_EXTENSION_URI,
  RtcpPayloadSpecificFeedback,
  useAbsSendTime,
  type RTCRtpHeaderExtensionParameters,
  type RtpPacket,
} from "werift";
import { BandwidthEstimator, type BandwidthEstimatorOptions } from "./bandwidth-estimator.js";

/**
 * Congestion control on the receiving side, as this daemon implements it: the customer stamps
 * abs-send-time on every packet, the daemon estimates the available rate from the arrivals
 * (bandwidth-estimator.ts) and sends it back in REMB. What the answer negotiates matches exactly
 * that: the abs-send-time extension and the `goog-remb` feedback, besides NACK and PLI; not
 * transport-cc (the daemon sends no TWCC feedback, and werift's own gave Chrome 320x180) nor
 * `ccm fir` (the daemon asks for keyframes with PLI only).
 */

/** Bitrates announced in the answer and used by the estimator, kbit/s. */
export interface CongestionBitrates {
  /** Chrome starts sending at this rate instead of its default 300 kbit/s (MEDIA-NOTES: 1500 gave 640x480 at 30 fps from the first second). */
  startKbps: number;
  /** Chrome's floor; also the estimator's. */
  minKbps: number;
  /** The most this receiver asks for. */
  maxKbps: number;
}

export const DEFAULT_BITRATES: CongestionBitrates = { startKbps: 1500, minKbps: 300, maxKbps: 2500 };

/** RTP header extensions the answer may accept, per media kind: only abs-send-time, which the estimator reads. */
export function congestionHeaderExtensions(): { video: RTCRtpHeaderExtensionParameters[]; audio: RTCRtpHeaderExtensionParameters[] } {
  return { video: [useAbsSendTime()], audio: [useAbsSendTime()] };
}

/** RTCP feedback types this receiver implements (`a=rtcp-fb` values, RFC 4585 / RFC 5104 names). */
export const IMPLEMENTED_FEEDBACK = ["nack", "nack pli", "goog-remb"] as const;

/**
 * Rewrites an offer before werift sees it, so that werift's answer (which echoes the offered
 * codecs' feedback and format parameters) claims only what this receiver implements: `a=rtcp-fb`
 * lines other than IMPLEMENTED_FEEDBACK are dropped, and every video codec's `a=fmtp` gets
 * Chrome's `x-google-start-bitrate`, `x-google-min-bitrate` and `x-google-max-bitrate` (kbit/s),
 * which Chrome reads from the answer. Header extensions need no rewrite: werift answers only
 * those in its configuration (congestionHeaderExtensions). Line endings are kept.
 */
export function restrictOffer(sdp: string, bitrates: CongestionBitrates = DEFAULT_BITRATES): string {
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  const lines = sdp.split(eol);
  const out: string[] = [];
  const bitrateParams = `x-google-start-bitrate=${bitrates.startKbps};x-google-min-bitrate=${bitrates.minKbps};x-google-max-bitrate=${bitrates.maxKbps}`;
  let kind = "";
  let videoPayloads: string[] = [];
  const withFmtp = new Set<string>();
  const flushVideo = () => {
    // A video codec without its own fmtp line (VP8 has none) gets one.
    if (kind === "video") {
      for (const pt of videoPayloads) if (!withFmtp.has(pt) && isMediaCodec(lines, pt)) out.push(`a=fmtp:${pt} ${bitrateParams}`);
    }
    withFmtp.clear();
  };
  for (const line of lines) {
    if (line.startsWith("m=")) {
      flushVideo();
      kind = line.slice(2).split(" ")[0]!;
      videoPayloads = kind === "video" ? line.split(" ").slice(3) : [];
      out.push(line);
      continue;
    }
    const fb = /^a=rtcp-fb:(\S+) (.+)$/.exec(line);
    if (fb && !(IMPLEMENTED_FEEDBACK as readonly string[]).includes(fb[2]!.trim())) continue;
    const fmtp = /^a=fmtp:(\d+) (.*)$/.exec(line);
    if (kind === "video" && fmtp && isMediaCodec(lines, fmtp[1]!)) {
      withFmtp.add(fmtp[1]!);
      out.push(`${line};${bitrateParams}`);
      continue;
    }
    if (kind === "video" && fmtp) withFmtp.add(fmtp[1]!);
    out.push(line);
  }
  // The session may end with a blank line after the last m-section: keep it last.
  const trailing = out.length > 0 && out[out.length - 1] === "" ? out.pop() : undefined;
  flushVideo();
  if (trailing !== undefined) out.push(trailing);
  return out.join(eol);
}

/** A codec payload type in the SDP that is a media codec (not rtx, red, ulpfec). */
function isMediaCodec(lines: string[], pt: string): boolean {
  const rtpmap = lines.find((l) => l.startsWith(`a=rtpmap:${pt} `));
  return rtpmap !== undefined && !/ (rtx|red|ulpfec|flexfec-03)\//i.test(rtpmap);
}

/**
 * REMB (draft-alvestrand-rmcat-remb-03 section 2.2): the bitrate as an 18-bit mantissa and a 6-bit
 * exponent, the media SSRC field 0, and the SSRCs the estimate covers.
 */
export function rembPacket(bitrateBps: number, senderSsrc: number, ssrcs: number[]): RtcpPayloadSpecificFeedback {
  let mantissa = Math.max(0, Math.floor(bitrateBps));
  let exp = 0;
  while (mantissa >= 1 << 18) {
    mantissa = Math.floor(mantissa / 2);
    exp++;
  }
  return new RtcpPayloadSpecificFeedback({
    feedback: new ReceiverEstimatedMaxBitrate({
      senderSsrc,
      mediaSsrc: 0,
      ssrcNum: ssrcs.length,
      brExp: exp,
      brMantissa: mantissa,
      bitrate: BigInt(mantissa) << BigInt(exp),
      ssrcFeedbacks: ssrcs,
    }),
  });
}

export interface RembControllerOptions extends Partial<CongestionBitrates> {
  /** Sends the RTCP packet (the peer's DTLS transport). */
  send(packet: RtcpPayloadSpecificFeedback): Promise<unknown>;
  /** The SSRC this receiver sends RTCP from. */
  senderSsrc(): number | undefined;
  /** How often the estimator runs, ms. */
  tickMs?: number;
  now?: () => number;
}

/** Every REMB sent, for stats and tests. */
export interface RembSent {
  atMs: number;
  bitrateBps: number;
}

/**
 * Feeds the estimator with every RTP packet and sends REMB: at least once per second, and at once
 * when the estimate falls by 3% or more (draft-ietf-rmcat-gcc-02 section 3: "as soon as congestion
 * is detected, otherwise at least once per second"; the 3% as libwebrtc's RembThrottler).
 */
export class RembController {
  readonly estimator: BandwidthEstimator;
  /** The last REMB sent, bps (0 before the first). */
  lastSentBps = 0;
  sent = 0;
  private lastSentMs = -Infinity;
  private readonly ssrcs = new Set<number>();
  private readonly videoSsrcs = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: RembControllerOptions) {
    const b = { ...DEFAULT_BITRATES, ...opts };
    const estimatorOpts: BandwidthEstimatorOptions = { startBps: b.startKbps * 1000, minBps: b.minKbps * 1000, maxBps: b.maxKbps * 1000 };
    this.estimator = new BandwidthEstimator(estimatorOpts);
    this.now = opts.now ?? (() => performance.now());
  }

  /**
   * Call for every received RTP packet of every track, with the parsed header extensions werift
   * hands over. Video SSRCs are listed first in the REMB: werift, as a sender, routes a REMB by its first SSRC.
   */
  onRtp(rtp: RtpPacket, extensions: Record<string, unknown> | undefined, kind: "video" | "audio"): void {
    const abs = extensions?.[RTP_EXTENSION_URI.absSendTime];
    if (!this.ssrcs.has(rtp.header.ssrc)) {
      this.ssrcs.add(rtp.header.ssrc);
      if (kind === "video") this.videoSsrcs.add(rtp.header.ssrc);
    }
    this.estimator.onPacket({
      arrivalMs: this.now(),
      absSendTime: typeof abs === "number" ? abs : undefined,
      ssrc: rtp.header.ssrc,
      sequenceNumber: rtp.header.sequenceNumber,
      bytes: (rtp.header.payloadOffset || 12) + rtp.payload.length + rtp.header.paddingSize,
    });
    this.timer ??= setInterval(() => this.tick(), this.opts.tickMs ?? 100).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = this.now();
    const bps = Math.round(this.estimator.update(now));
    const ssrc = this.opts.senderSsrc();
    if (ssrc === undefined || this.ssrcs.size === 0) return;
    const fell = this.lastSentBps > 0 && bps <= this.lastSentBps * 0.97;
    if (!fell && now - this.lastSentMs < 1000) return;
    this.lastSentMs = now;
    this.lastSentBps = bps;
    this.sent++;
    const ssrcs = [...this.videoSsrcs, ...[...this.ssrcs].filter((s) => !this.videoSsrcs.has(s))];
    this.opts.send(rembPacket(bps, ssrc, ssrcs)).catch(() => undefined);
  }
}
