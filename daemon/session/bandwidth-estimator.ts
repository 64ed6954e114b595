/**
 * Receive-side bandwidth estimate for REMB: the delay-based controller of Google Congestion Control
 * (draft-ietf-rmcat-gcc-02, section 5) run where the media arrives, plus its loss-based rule
 * (section 6) applied to the loss seen here. The estimate goes back to the sender in REMB
 * (draft-alvestrand-rmcat-remb-03); Chrome bounds its send rate by it.
 *
 * Simplifications, each on the safe side for a single sender on one path:
 * - the round-trip time is not measured: the additive increase assumes 200 ms (libwebrtc's
 *   default for its receive-side estimator);
 * - the loss rule works on RFC 3550 A.3 interval loss (before NACK repair), once per second.
 *
 * Times are milliseconds on one local monotonic clock (performance.now()); rates are bits per second.
 */

/** One received RTP packet, as the estimator needs it. */
export interface ArrivedPacket {
  /** Local arrival time, ms. */
  arrivalMs: number;
  /** The abs-send-time header extension: 24 bits, seconds in 6.18 fixed point (wraps every 64 s); absent when not sent. */
  absSendTime?: number;
  ssrc: number;
  sequenceNumber: number;
  /** RTP packet size (header + payload), bytes. */
  bytes: number;
}

export interface BandwidthEstimatorOptions {
  /** Where the estimate starts, bps: the start bitrate announced in the answer. */
  startBps?: number;
  /** Floor, bps: the min bitrate announced in the answer (Chrome does not go lower anyway). */
  minBps?: number;
  /** Ceiling, bps: the most this receiver asks for. */
  maxBps?: number;
}

export type UsageSignal = "normal" | "overuse" | "underuse";
export type RateState = "increase" | "hold" | "decrease";

/** Section 5.2: packets sent within burst_time of a group's first packet form one group. */
const BURST_TIME_MS = 5;
/** Section 5.3: state noise variance q, initial error e(0), noise coefficient chi. */
const Q = 1e-3;
const E0 = 0.1;
const CHI = 0.01;
/** Initial measurement noise variance (ms^2); libwebrtc's OveruseEstimator starts at 50. */
const VAR_V0 = 50;
/** Section 5.4: threshold adaptation gains, initial value and clamp, and overuse_time_th. */
const K_UP = 0.01;
const K_DOWN = 0.00018;
const THRESHOLD0_MS = 12.5;
const THRESHOLD_MIN_MS = 6;
const THRESHOLD_MAX_MS = 600;
const OVERUSE_TIME_MS = 10;
/** Section 5.5: increase factor eta per second, decrease factor beta, receive-rate window. */
const ETA = 1.08;
const BETA = 0.85;
const RATE_WINDOW_MS = 500;
/** Section 5.5 additive increase: half a packet per response time (RTT + 100 ms). */
const RESPONSE_TIME_MS = 200 + 100;
/** Smoothing of the average and variance of the incoming rate at decreases (libwebrtc's LinkCapacityEstimator). */
const MAX_RATE_SMOOTHING = 0.05;
/** Section 6: loss above 10% cuts the estimate by half the loss; below 2% it may grow. */
const LOSS_HIGH = 0.1;
const LOSS_LOW = 0.02;
const LOSS_INTERVAL_MS = 1000;
/** abs-send-time: 2^18 units per second, 24 bits. */
const ABS_UNITS_PER_MS = 262_144 / 1000;

interface Group {
  firstSendMs: number;
  sendMs: number;
  arrivalMs: number;
}

interface LossState {
  baseExtSeq: number;
  maxExtSeq: number;
  received: number;
  /** At the start of the current interval. */
  expectedPrior: number;
  receivedPrior: number;
}

/**
 * Feed every received RTP packet (video and audio: the estimate is for the whole session) to
 * `onPacket`, and call `update` regularly (every 100-200 ms); `estimateBps` is what to send in REMB.
 */
export class BandwidthEstimator {
  readonly minBps: number;
  readonly maxBps: number;
  /** Current estimate A_hat, bps. */
  estimateBps: number;
  signal: UsageSignal = "normal";
  state: RateState = "hold";
  /** Filtered inter-group delay variation m(i), ms per group (the Kalman filter's output). */
  delayGradientMs = 0;
  /** Adaptive over-use threshold del_var_th, ms; compared with m(i) times the group deltas seen (at most 60). */
  thresholdMs = THRESHOLD0_MS;
  /** Fraction of packets lost in the last whole loss interval (0-1). */
  lossFraction = 0;

  private group: Group | undefined;
  private prevGroup: Group | undefined;
  private sendBaseMs = 0;
  private lastAbs: number | undefined;
  private error = E0;
  private varNoise = VAR_V0;
  private readonly sendDeltas: number[] = [];
  private overuseSinceMs: number | undefined;
  private prevGradientMs = 0;
  private deltas = 0;
  private lastThresholdUpdateMs: number | undefined;
  private lastUpdateMs: number | undefined;
  /** Average incoming rate when decreasing, kbps, and its normalised variance (section 5.5 "average max bitrate"). */
  private avgMaxKbps: number | undefined;
  private varMax = 0.4;
  private readonly arrivals: { atMs: number; bytes: number }[] = [];
  private arrivalHead = 0;
  private readonly loss = new Map<number, LossState>();
  private lossIntervalStartMs: number | undefined;

  constructor(opts: BandwidthEstimatorOptions = {}) {
    this.minBps = opts.minBps ?? 300_000;
    this.maxBps = opts.maxBps ?? 2_500_000;
    this.estimateBps = clamp(opts.startBps ?? 1_500_000, this.minBps, this.maxBps);
  }

  /** Incoming rate R_hat over the last 500 ms (section 5.5), bps. */
  receiveRateBps(nowMs: number): number {
    this.trimArrivals(nowMs);
    let bytes = 0;
    for (let i = this.arrivalHead; i < this.arrivals.length; i++) bytes += this.arrivals[i]!.bytes;
    return (bytes * 8 * 1000) / RATE_WINDOW_MS;
  }

  onPacket(p: ArrivedPacket): void {
    this.arrivals.push({ atMs: p.arrivalMs, bytes: p.bytes });
    this.countForLoss(p.ssrc, p.sequenceNumber);
    if (p.absSendTime !== undefined) this.groupPacket(p.arrivalMs, this.unwrapSendMs(p.absSendTime));
  }

  /** Runs the loss rule (once per interval) and the rate controller; returns the estimate, bps. */
  update(nowMs: number): number {
    const dtMs = this.lastUpdateMs === undefined ? 0 : nowMs - this.lastUpdateMs;
    this.lastUpdateMs = nowMs;
    const received = this.receiveRateBps(nowMs);
    this.lossIntervalStartMs ??= nowMs;
    if (nowMs - this.lossIntervalStartMs >= LOSS_INTERVAL_MS) {
      this.lossIntervalStartMs = nowMs;
      this.lossFraction = this.intervalLoss();
      // Section 6: A = A * (1 - 0.5p) when p > 10%.
      if (this.lossFraction > LOSS_HIGH) this.estimateBps *= 1 - 0.5 * this.lossFraction;
    }
    // Section 5.5 state machine: overuse -> decrease; underuse -> hold; normal -> increase (from hold or increase), hold (from decrease).
    if (this.signal === "overuse") this.state = "decrease";
    else if (this.signal === "underuse") this.state = "hold";
    else this.state = this.state === "decrease" ? "hold" : "increase";

    // Section 5.5: a receive rate well above the rates of past decreases means the path changed.
    if (this.avgMaxKbps !== undefined && received / 1000 > this.avgMaxKbps + 3 * this.maxDeviationKbps()) this.avgMaxKbps = undefined;
    if (this.state === "decrease") {
      // A = beta * R_hat, and only ever downwards.
      if (received > 0) {
        this.estimateBps = Math.min(this.estimateBps, BETA * received);
        this.onDecrease(received / 1000);
      }
      this.signal = "normal"; // one decrease per detected overuse
    } else if (this.state === "increase" && this.lossFraction <= LOSS_LOW) {
      // Section 6: between 2% and 10% loss the estimate holds.
      const grown =
        this.avgMaxKbps === undefined
          ? this.estimateBps * ETA ** Math.min(dtMs / 1000, 1)
          : // Near convergence: A += max(1000, alpha * expected packet size), alpha = 0.5 min(dt / response time, 1).
            this.estimateBps + Math.max(1000, 0.5 * Math.min(dtMs / RESPONSE_TIME_MS, 1) * this.averagePacketBits());
      // Section 5.5: A_hat < 1.5 R_hat; as libwebrtc's AimdRateControl, the cap stops growth but never cuts.
      const cap = 1.5 * received + 10_000;
      this.estimateBps = Math.max(this.estimateBps, Math.min(grown, cap));
    }
    this.estimateBps = clamp(this.estimateBps, this.minBps, this.maxBps);
    return this.estimateBps;
  }

  /** Section 5.5: the average max bitrate and its variance, updated with the incoming rate at each decrease. */
  private onDecrease(receivedKbps: number): void {
    if (this.avgMaxKbps === undefined) {
      this.avgMaxKbps = receivedKbps;
      return;
    }
    this.avgMaxKbps = (1 - MAX_RATE_SMOOTHING) * this.avgMaxKbps + MAX_RATE_SMOOTHING * receivedKbps;
    const norm = Math.max(this.avgMaxKbps, 1);
    this.varMax = (1 - MAX_RATE_SMOOTHING) * this.varMax + (MAX_RATE_SMOOTHING * (this.avgMaxKbps - receivedKbps) ** 2) / norm;
    // libwebrtc's bounds: 0.4 and 2.5 (in kbps, normalised by the average).
    this.varMax = clamp(this.varMax, 0.4, 2.5);
  }

  private maxDeviationKbps(): number {
    return Math.sqrt(this.varMax * (this.avgMaxKbps ?? 0));
  }

  /** Mean size of the packets in the receive-rate window, bits (1200 bytes before any). */
  private averagePacketBits(): number {
    const n = this.arrivals.length - this.arrivalHead;
    if (n === 0) return 1200 * 8;
    let bytes = 0;
    for (let i = this.arrivalHead; i < this.arrivals.length; i++) bytes += this.arrivals[i]!.bytes;
    return (bytes * 8) / n;
  }

  /** Send time in ms on an unwrapped timeline (abs-send-time wraps every 64 s). */
  private unwrapSendMs(abs: number): number {
    if (this.lastAbs !== undefined) {
      let delta = (abs - this.lastAbs) & 0xffffff;
      if (delta >= 0x800000) delta -= 0x1000000;
      this.sendBaseMs += delta / ABS_UNITS_PER_MS;
    }
    this.lastAbs = abs;
    return this.sendBaseMs;
  }

  /**
   * Section 5.2 pre-filtering: a packet sent within burst_time of the group's first packet joins the
   * group; so does one that arrives within burst_time of the group's last and gains on the send
   * clock (a burst released by a queue or a stalled event loop). Reordered packets are ignored.
   */
  private groupPacket(arrivalMs: number, sendMs: number): void {
    const g = this.group;
    if (!g) {
      this.group = { firstSendMs: sendMs, sendMs, arrivalMs };
      return;
    }
    if (sendMs < g.firstSendMs) return;
    const inSendBurst = sendMs - g.firstSendMs <= BURST_TIME_MS;
    const prev = this.prevGroup;
    const arrivalBurst =
      prev !== undefined &&
      arrivalMs - g.arrivalMs <= BURST_TIME_MS &&
      arrivalMs - prev.arrivalMs - (sendMs - prev.sendMs) < 0;
    if (inSendBurst || arrivalBurst) {
      g.sendMs = Math.max(g.sendMs, sendMs);
      g.arrivalMs = Math.max(g.arrivalMs, arrivalMs);
      return;
    }
    // The current group is complete: compare it with the one before.
    if (prev) this.onGroupDelta(g.arrivalMs - prev.arrivalMs - (g.sendMs - prev.sendMs), g.sendMs - prev.sendMs, g.arrivalMs);
    this.prevGroup = g;
    this.group = { firstSendMs: sendMs, sendMs, arrivalMs };
  }

  /** Section 5.3 arrival-time filter (Kalman) and section 5.4 over-use detector, per group delta d(i). */
  private onGroupDelta(dMs: number, sendDeltaMs: number, nowMs: number): void {
    this.sendDeltas.push(sendDeltaMs);
    if (this.sendDeltas.length > 60) this.sendDeltas.shift();
    // alpha = (1 - chi)^(30 / (1000 f_max)), f_max the highest group rate of the last groups (per ms),
    // written as libwebrtc's OveruseEstimator does: (1 - chi)^(30 * shortest send delta / 1000).
    const minDelta = Math.max(Math.min(...this.sendDeltas), 1);
    const alpha = (1 - CHI) ** ((30 * minDelta) / 1000);
    let z = dMs - this.delayGradientMs;
    // Outliers (a late group after a stall) move the filter at most 3 standard deviations.
    const bound = 3 * Math.sqrt(this.varNoise);
    this.varNoise = Math.max(alpha * this.varNoise + (1 - alpha) * Math.min(z * z, bound * bound), 1);
    z = clamp(z, -bound, bound);
    const gain = (this.error + Q) / (this.varNoise + this.error + Q);
    this.prevGradientMs = this.delayGradientMs;
    this.delayGradientMs += z * gain;
    this.error = (1 - gain) * (this.error + Q);
    this.detect(nowMs);
  }

  /**
   * Section 5.4 over-use detector. As in libwebrtc's OveruseDetector, the compared quantity is the
   * gradient times the number of group deltas seen (at most 60): groups of a few ms (paced packets)
   * have per-group gradients far below the 12.5 ms threshold even on a link at twice its capacity.
   */
  private detect(nowMs: number): void {
    this.deltas = Math.min(this.deltas + 1, 60);
    const m = this.delayGradientMs * this.deltas;
    const prev = this.prevGradientMs * this.deltas;
    if (m > this.thresholdMs) {
      this.overuseSinceMs ??= nowMs;
      if (nowMs - this.overuseSinceMs >= OVERUSE_TIME_MS && m >= prev) this.signal = "overuse";
    } else {
      this.overuseSinceMs = undefined;
      if (m < -this.thresholdMs) this.signal = "underuse";
      else if (this.signal !== "overuse") this.signal = "normal";
    }
    // Adaptive threshold: del_var_th += dt * K * (|m| - del_var_th), skipped for |m| far above it.
    const dt = this.lastThresholdUpdateMs === undefined ? 0 : Math.min(nowMs - this.lastThresholdUpdateMs, 100);
    this.lastThresholdUpdateMs = nowMs;
    if (Math.abs(m) - this.thresholdMs <= 15) {
      const k = Math.abs(m) < this.thresholdMs ? K_DOWN : K_UP;
      this.thresholdMs = clamp(this.thresholdMs + dt * k * (Math.abs(m) - this.thresholdMs), THRESHOLD_MIN_MS, THRESHOLD_MAX_MS);
    }
  }

  /** RFC 3550 A.3: extended highest sequence number and packets received, per SSRC. */
  private countForLoss(ssrc: number, seq: number): void {
    const s = this.loss.get(ssrc);
    if (!s) {
      this.loss.set(ssrc, { baseExtSeq: seq, maxExtSeq: seq, received: 1, expectedPrior: 0, receivedPrior: 0 });
      return;
    }
    s.received++;
    const delta = ((seq - (s.maxExtSeq & 0xffff) + 0x8000) & 0xffff) - 0x8000;
    if (delta > 0) s.maxExtSeq += delta;
  }

  /** Interval fraction lost over every SSRC since the last call (RFC 3550 A.3). */
  private intervalLoss(): number {
    let expected = 0;
    let lost = 0;
    for (const s of this.loss.values()) {
      const expectedTotal = s.maxExtSeq - s.baseExtSeq + 1;
      const e = expectedTotal - s.expectedPrior;
      const r = s.received - s.receivedPrior;
      s.expectedPrior = expectedTotal;
      s.receivedPrior = s.received;
      expected += e;
      lost += Math.max(0, e - r);
    }
    return expected > 0 ? lost / expected : 0;
  }

  private trimArrivals(nowMs: number): void {
    while (this.arrivalHead < this.arrivals.length && this.arrivals[this.arrivalHead]!.atMs <= nowMs - RATE_WINDOW_MS) this.arrivalHead++;
    if (this.arrivalHead > 1024) {
      this.arrivals.splice(0, this.arrivalHead);
      this.arrivalHead = 0;
    }
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}
