import { MAX_DROPOUT, MAX_MISORDER, recentTicks } from "./rtp-sequence.js";

/** Packets given up on after a NACK, remembered so that a retransmission coming later still measures the recovery time. */
const ABANDONED_KEPT = 512;
/** Recent recovery times kept: the longest of them is waited for as well (the mean falls back after fast ones). */
const RECOVERIES_KEPT = 32;

export interface NackRequesterOptions {
  /** Sends one Generic NACK (RFC 4585 6.2.1) naming these sequence numbers, in stream order. */
  send(sequenceNumbers: number[]): void;
  /** NACKs per missing packet at most (the first and its repeats). */
  maxAttempts?: number;
  /** Missing packets asked for at most; beyond this, the oldest are dropped (an outage, not loss). */
  maxMissing?: number;
  /** Bounds of the wait (ms) before a NACK is repeated; between them it follows the measured round trip. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /** Round trip assumed before one is measured (ms). */
  initialRttMs?: number;
  /**
   * recoveryWaitMs before any lost packet has come back (ms), 1,000 by default: the first losses
   * come with the first keyframes, when a session's start keeps both ends busiest.
   */
  initialRecoveryWaitMs?: number;
  /** RTP clock rate of the stream (Hz), for the timestamps given to packet(); 90,000 by default (video). */
  clockRate?: number;
  /** Milliseconds; performance.now by default. */
  now?: () => number;
  /** Schedules `fn` after `ms` (setTimeout by default; tests drive time themselves). */
  schedule?: (fn: () => void, ms: number) => { cancel(): void };
}

/** Counts since creation. */
export interface NackCounters {
  /** NACK messages sent. */
  nacks: number;
  /** Sequence numbers named in them (a packet asked for twice counts twice). */
  requested: number;
  /** Of those, repeats: the retransmission had not come within the retry time. */
  repeats: number;
  /** Missing packets that arrived later (retransmitted, or only late). */
  recovered: number;
  /** Missing packets no longer asked for: given up by the jitter buffer, out of attempts, or beyond maxMissing. */
  abandoned: number;
}

interface Missing {
  /** NACKs sent for it so far. */
  attempts: number;
  /** When the last NACK went, or when it went missing before the first (ms). */
  at: number;
  /** When the first NACK went (ms); for the round-trip estimate. */
  firstNackAt: number;
}

/**
 * Asks the sender to retransmit missing video packets (generic NACK, RFC 4585) and asks again when
 * a retransmission does not come within about one and a half round trips, up to `maxAttempts`
 * times, until the packet arrives or the jitter buffer gives it up (`giveUp`). With loss p per
 * packet each way a packet stays lost after n attempts with probability about p^(n+1), where one
 * NACK would leave p^2 (a lost retransmission) and a late repeat leaves nothing to repair.
 *
 * The round trip is measured from the NACK of a packet asked for once to its arrival (after a
 * repeat it is ambiguous, Karn's rule; see packet()). NACKs for packets found
 * missing together go out in one message, after the I/O at hand (a burst read after a stall finds
 * its gaps together).
 *
 * Replaces werift's receiver NackHandler, which named every missing packet again every 5 ms (up to
 * eleven retransmissions of each, whatever the round trip), gave up after 55 ms even when the jitter
 * buffer would wait longer, and lost track of the stream for good when a loss fell on the wrap of
 * the sequence number.
 */
export class NackRequester {
  readonly counters: NackCounters = { nacks: 0, requested: 0, repeats: 0, recovered: 0, abandoned: 0 };
  /** Smoothed round trip from NACK to retransmission (ms), and its mean deviation (RFC 6298 SRTT, RTTVAR). */
  rttMs: number;
  rttVarMs: number;
  /**
   * Smoothed time (ms) from a packet's first NACK to its arrival, whatever NACK it answered, and its
   * mean deviation; also from packets that arrived after they were given up. Unlike the round trip
   * it is not hidden by repeats: when the sender or this process lags, repeats go out before the
   * first answer can come, and only this shows how long a lost packet really takes to come back.
   */
  recoveryMs = 0;
  recoveryVarMs = 0;
  private recoverySamples = 0;
  private readonly recentRecoveries: number[] = [];
  /** First-NACK times of packets no longer asked for, by sequence number, oldest first. */
  private readonly abandonedAt = new Map<number, number>();
  private readonly opts: Required<Omit<NackRequesterOptions, "send" | "schedule" | "now" | "clockRate">>;
  private readonly recentTicks: number;
  private readonly send: (seqs: number[]) => void;
  private readonly now: () => number;
  private readonly schedule: (fn: () => void, ms: number) => { cancel(): void };
  /** Missing sequence numbers in stream order (Map keeps insertion order). */
  private readonly missing = new Map<number, Missing>();
  private highest: number | undefined;
  /** RTP timestamp of the newest packet given one (tells an old packet from a restart). */
  private newestTs: number | undefined;
  private timer: { cancel(): void } | undefined;
  private timerAt = Infinity;
  private closed = false;

  constructor(opts: NackRequesterOptions) {
    this.send = opts.send;
    this.opts = {
      maxAttempts: opts.maxAttempts ?? 5,
      maxMissing: opts.maxMissing ?? 256,
      minRetryMs: opts.minRetryMs ?? 15,
      maxRetryMs: opts.maxRetryMs ?? 250,
      initialRttMs: opts.initialRttMs ?? 60,
      initialRecoveryWaitMs: opts.initialRecoveryWaitMs ?? 1000,
    };
    this.recentTicks = recentTicks(opts.clockRate ?? 90_000);
    this.rttMs = this.opts.initialRttMs;
    this.rttVarMs = this.opts.initialRttMs / 2;
    this.now = opts.now ?? (() => performance.now());
    this.schedule =
      opts.schedule ??
      ((fn, ms) => {
        const t = ms <= 0 ? setImmediate(fn) : setTimeout(fn, ms);
        return { cancel: () => (ms <= 0 ? clearImmediate(t as NodeJS.Immediate) : clearTimeout(t as NodeJS.Timeout)) };
      });
  }

  /** Packets currently asked for. */
  get pending(): number {
    return this.missing.size;
  }

  /** Wait before a NACK is repeated (ms). */
  get retryMs(): number {
    return Math.min(this.opts.maxRetryMs, Math.max(this.opts.minRetryMs, this.rttMs * 1.5 + 5));
  }

  /**
   * How long (ms) a packet found missing now may take to come back if its first retransmission is
   * lost and the repeat is not: a retry time and a round trip with four deviations of slack (as
   * RFC 6298's retransmission timeout), for a round trip that varies on a busy machine.
   */
  get twoAttemptsMs(): number {
    return this.retryMs + this.rttMs + 4 * this.rttVarMs;
  }

  /**
   * How long (ms) a lost packet may take to come back after its first NACK: the smoothed time with
   * four deviations of slack, or the longest of the last RECOVERIES_KEPT, whichever is more;
   * initialRecoveryWaitMs before any has come back.
   */
  get recoveryWaitMs(): number {
    if (this.recoverySamples === 0) return this.opts.initialRecoveryWaitMs;
    return Math.max(this.recoveryMs + 4 * this.recoveryVarMs, ...this.recentRecoveries);
  }

  /**
   * Every video packet as it arrives (originals and retransmissions, unwrapped from RTX), with its
   * RTP timestamp: a packet far behind the newest is then told apart as an old one arriving late
   * (a duplicate retransmission) or a restarted sender. Without timestamps any packet more than
   * MAX_MISORDER behind counts as a restart.
   */
  packet(seq: number, timestamp?: number): void {
    if (this.closed) return;
    if (this.highest === undefined) {
      this.highest = seq;
      this.newestTs = timestamp;
      return;
    }
    const delta = ((seq - this.highest) & 0xffff);
    if (delta === 0) return;
    if (delta < MAX_DROPOUT) {
      if (timestamp !== undefined) this.newestTs = timestamp;
      const now = this.now();
      for (let s = (this.highest + 1) & 0xffff; s !== seq; s = (s + 1) & 0xffff) this.missing.set(s, { attempts: 0, at: now, firstNackAt: 0 });
      this.highest = seq;
      if (this.missing.size > this.opts.maxMissing) this.dropOldest(this.missing.size - this.opts.maxMissing);
      if (delta > 1) this.wake(0);
      return;
    }
    const entry = this.missing.get(seq);
    if (entry) {
      this.missing.delete(seq);
      this.counters.recovered++;
      const now = this.now();
      if (entry.attempts > 0) this.sampleRecovery(now - entry.firstNackAt);
      if (entry.attempts === 1) this.sampleRtt(now - entry.firstNackAt);
      else if (entry.attempts > 1 && now - entry.at > this.rttMs) {
        // After a repeat it is unknown which NACK this answers (Karn): the time since the last one
        // is a lower bound of the round trip. It may raise the estimate, never lower it, so a round
        // trip longer than the retry time is not hidden for good behind repeats.
        this.sampleRtt(now - entry.at);
      }
      return;
    }
    const firstNackAt = this.abandonedAt.get(seq);
    if (firstNackAt !== undefined) {
      // Given up on, and here after all: it still says how long recovery takes.
      this.abandonedAt.delete(seq);
      this.sampleRecovery(this.now() - firstNackAt);
      return;
    }
    // Far behind but recent in media time: a late duplicate (a retransmission answering a repeated
    // NACK after the first copy came). Taking it for a restart would move `highest` back and ask
    // again for every packet since, all of which came.
    const late = timestamp !== undefined && this.newestTs !== undefined && ((this.newestTs - timestamp) >>> 0) <= this.recentTicks;
    if (delta < 0x10000 - MAX_MISORDER && !late) {
      // A restart: the old stream's gaps will not be filled.
      this.counters.abandoned += this.missing.size;
      this.missing.clear();
      this.abandonedAt.clear();
      this.highest = seq;
      this.newestTs = timestamp;
    }
  }

  private sampleRecovery(sample: number): void {
    this.recentRecoveries.push(sample);
    if (this.recentRecoveries.length > RECOVERIES_KEPT) this.recentRecoveries.shift();
    if (this.recoverySamples++ === 0) {
      this.recoveryMs = sample;
      this.recoveryVarMs = sample / 2;
      return;
    }
    this.recoveryVarMs += (Math.abs(this.recoveryMs - sample) - this.recoveryVarMs) / 4;
    this.recoveryMs += (sample - this.recoveryMs) / 4;
  }

  private sampleRtt(sample: number): void {
    this.rttVarMs += (Math.abs(this.rttMs - sample) - this.rttVarMs) / 4;
    this.rttMs += (sample - this.rttMs) / 4;
  }

  /** The jitter buffer stopped waiting for `from`..`to` (inclusive, may wrap): stop asking for them. */
  giveUp(from: number, to: number): void {
    const count = ((to - from) & 0xffff) + 1;
    if (count > this.missing.size) {
      for (const seq of [...this.missing.keys()]) if (((seq - from) & 0xffff) < count) this.abandon(seq);
    } else {
      for (let i = 0, seq = from; i < count; i++, seq = (seq + 1) & 0xffff) this.abandon(seq);
    }
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.missing.clear();
    this.abandonedAt.clear();
  }

  private abandon(seq: number): void {
    const entry = this.missing.get(seq);
    if (!entry) return;
    this.missing.delete(seq);
    this.counters.abandoned++;
    if (entry.attempts === 0) return;
    this.abandonedAt.delete(seq);
    this.abandonedAt.set(seq, entry.firstNackAt);
    if (this.abandonedAt.size > ABANDONED_KEPT) this.abandonedAt.delete(this.abandonedAt.keys().next().value!);
  }

  private dropOldest(n: number): void {
    for (const seq of this.missing.keys()) {
      if (n-- <= 0) break;
      this.abandon(seq);
    }
  }

  private wake(inMs: number): void {
    const at = this.now() + inMs;
    if (this.timer && this.timerAt <= at) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.schedule(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.run();
    }, inMs);
  }

  /** Sends what is due (first NACKs and repeats) in one message and sleeps until the next is due. */
  private run(): void {
    if (this.closed) return;
    const now = this.now();
    const retry = this.retryMs;
    const due: number[] = [];
    let next = Infinity;
    for (const [seq, entry] of this.missing) {
      // After the last NACK the packet is awaited for the longest retry time: its late arrival
      // still measures the round trip.
      const last = entry.attempts >= this.opts.maxAttempts;
      const dueAt = entry.attempts === 0 ? entry.at : entry.at + (last ? this.opts.maxRetryMs : retry);
      if (dueAt > now) {
        next = Math.min(next, dueAt);
        continue;
      }
      if (last) {
        this.abandon(seq);
        continue;
      }
      if (entry.attempts === 0) entry.firstNackAt = now;
      else this.counters.repeats++;
      entry.attempts++;
      entry.at = now;
      due.push(seq);
      next = Math.min(next, now + retry);
    }
    if (due.length > 0) {
      this.counters.nacks++;
      this.counters.requested += due.length;
      this.send(due);
    }
    if (next < Infinity) this.wake(Math.max(1, next - now));
  }
}
