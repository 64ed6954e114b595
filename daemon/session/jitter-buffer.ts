import type { RtpPacket } from "werift";
import { MAX_DROPOUT, MAX_MISORDER, recentTicks } from "./rtp-sequence.js";

/** Given-up sequence numbers remembered for the tooLate count. */
const GIVEN_UP_KEPT = 1024;
/**
 * How far (ms) the wait clock may run ahead of the media time between one packet and the next: the
 * network's jitter. Beyond it a pause in arrivals is a stall (of this process, or of the sender),
 * not time the retransmission had.
 */
const STALL_SLACK_MS = 50;

/** Sequence numbers given up on: `from` to `to` inclusive (uint16, may wrap), `count` of them. */
export interface LostRange {
  from: number;
  to: number;
  count: number;
}

export interface JitterBufferSink {
  /** The next packet in sequence order; each arriving packet at most once. */
  packet(rtp: RtpPacket): void;
  /** Packets that never arrived within the latency: real loss, reported once, in order. */
  loss(range: LostRange): void;
  /** The sender's sequence jumped (a restart): what follows does not continue what came before. */
  restart?(): void;
}

export interface JitterBufferOptions {
  /** RTP clock rate of the stream in Hz (90,000 for video). */
  clockRate: number;
  /**
   * How long (ms) a gap waits for a NACK retransmission before it is given up, in media time (RTP
   * timestamps, as werift times it) and also on a wall clock since the gap was found: after a
   * stall, packets queued in the socket are read in a burst whose media time runs far ahead of the
   * wall clock, and a gap found in it would otherwise be given up at once, before its NACK could
   * even leave. The wall clock counts a pause between two packets only as far as their media times
   * (plus STALL_SLACK_MS) account for it: a sender that stalls sends its overdue frames in a burst
   * before it reads the NACK, and the retransmission comes right behind that burst, so the stall
   * must not count as time the retransmission had. Loss of packets on the way (an outage) leaves a
   * media-time gap and counts in full. A function is asked at each check (the peer follows the
   * retransmission round trip).
   */
  latencyMs?: number | (() => number);
  /** Packets held behind gaps before the oldest gap is given up regardless of time. */
  maxPackets?: number;
  /** Milliseconds; performance.now by default. */
  now?: () => number;
}

/** Counts since creation. `steps` is the work done: buffer look-ups while scanning sequence numbers. */
export interface JitterBufferCounters {
  received: number;
  emitted: number;
  /** Arrived twice while still buffered. */
  duplicates: number;
  /** Arrived after its turn: already emitted, or given up as lost. */
  late: number;
  /** Of the late ones, those given up as lost before they came: a retransmission (or packet) too late. */
  tooLate: number;
  lost: number;
  restarts: number;
  steps: number;
}

/**
 * Puts one RTP stream (one SSRC) back in sequence order and waits a bounded time for missing
 * packets, so the depacketizer sees each packet once and in order and losses are known.
 *
 * Replaces werift's JitterBufferBase, which on a timeout emitted the newest packet but left it
 * buffered, skipped the buffered packets before it, and cleared them by walking all 65,536
 * sequence numbers: duplicates, good packets dropped, false losses, and CPU that grew with loss.
 * Here every packet is buffered at most once, every sequence number is passed over at most once
 * while looking for the next buffered packet. A gap is given up when both the media time (RTP
 * timestamps, as in werift) and the wall-clock time since it was found exceed the wait.
 */
export class JitterBuffer {
  readonly counters: JitterBufferCounters = { received: 0, emitted: 0, duplicates: 0, late: 0, tooLate: 0, lost: 0, restarts: 0, steps: 0 };
  private readonly latencyMs: () => number;
  private readonly ticksPerMs: number;
  private readonly maxPackets: number;
  private readonly recentTicks: number;
  private readonly slots = new Map<number, RtpPacket>();
  /** When each buffered packet arrived, on the wait clock (ms): a gap is as old as the packet just after it. */
  private readonly arrivals = new Map<number, number>();
  /** Sequence numbers recently given up, oldest first, to tell a retransmission too late from a duplicate. */
  private readonly givenUp = new Set<number>();
  private readonly now: () => number;
  /** Sequence number expected next; undefined before the first packet. */
  private next: number | undefined;
  /** Lowest buffered sequence number (the end of the oldest gap), when any is buffered. */
  private head: number | undefined;
  /** Newest RTP timestamp seen, the clock that times gaps out. */
  private newestTs = 0;
  /** The wait clock (ms): wall time between packets, stalls left out (see JitterBufferOptions.latencyMs). */
  private clockMs = 0;
  /** Wall time of the last packet input (ms). */
  private lastInputMs: number | undefined;
  /** A packet far from the stream, kept until the next packet confirms a restart (RFC 3550 A.1). */
  private candidate: RtpPacket | undefined;
  private sink: JitterBufferSink | undefined;

  constructor(opts: JitterBufferOptions, sink: JitterBufferSink) {
    const latency = opts.latencyMs ?? 200;
    this.latencyMs = typeof latency === "number" ? () => latency : latency;
    this.ticksPerMs = opts.clockRate / 1000;
    this.maxPackets = opts.maxPackets ?? 1000;
    this.recentTicks = recentTicks(opts.clockRate);
    this.now = opts.now ?? (() => performance.now());
    this.sink = sink;
  }

  input(rtp: RtpPacket): void {
    if (!this.sink) return;
    this.counters.received++;
    this.tick(rtp.header.timestamp);
    this.place(rtp);
  }

  /** Advances the wait clock by the wall time since the last packet, at most the media time it moved on plus the slack. */
  private tick(ts: number): void {
    const now = this.now();
    if (this.lastInputMs !== undefined && this.next !== undefined) {
      const mediaTicks = (ts - this.newestTs) | 0;
      const mediaMs = mediaTicks > 0 ? mediaTicks / this.ticksPerMs : 0;
      this.clockMs += Math.min(Math.max(0, now - this.lastInputMs), mediaMs + STALL_SLACK_MS);
    }
    this.lastInputMs = now;
  }

  private place(rtp: RtpPacket): void {
    const seq = rtp.header.sequenceNumber;
    if (this.next === undefined) return this.start(rtp);
    const ahead = (seq - this.next) & 0xffff;
    if (ahead < MAX_DROPOUT) {
      this.candidate = undefined;
      if (ahead === 0) {
        this.emit(rtp);
        this.next = (seq + 1) & 0xffff;
        this.drain();
      } else if (this.slots.has(seq)) {
        this.counters.duplicates++;
        return;
      } else {
        this.slots.set(seq, rtp);
        this.arrivals.set(seq, this.clockMs);
        if (this.head === undefined || ahead < ((this.head - this.next) & 0xffff)) this.head = seq;
      }
      this.advanceClock(rtp.header.timestamp);
      this.giveUpExpiredGaps();
    } else if (ahead >= 0x10000 - MAX_MISORDER || ((this.newestTs - rtp.header.timestamp) >>> 0) <= this.recentTicks) {
      this.counters.late++;
      if (this.givenUp.delete(seq)) this.counters.tooLate++;
    } else {
      this.jump(rtp);
    }
  }

  /** Emits everything buffered, in order, reporting the gaps between as lost. */
  flush(): void {
    while (this.head !== undefined && this.sink) this.giveUpGap();
  }

  /** Stops emitting and drops what is buffered. */
  destroy(): void {
    this.sink = undefined;
    this.slots.clear();
    this.arrivals.clear();
    this.givenUp.clear();
    this.head = undefined;
    this.candidate = undefined;
  }

  /** Number of packets waiting behind gaps. */
  get buffered(): number {
    return this.slots.size;
  }

  private start(rtp: RtpPacket): void {
    this.next = (rtp.header.sequenceNumber + 1) & 0xffff;
    this.newestTs = rtp.header.timestamp;
    this.emit(rtp);
  }

  /** Far outside the stream: a restart if the next packet follows on, else a stray packet (dropped). */
  private jump(rtp: RtpPacket): void {
    const candidate = this.candidate;
    const seq = rtp.header.sequenceNumber;
    const near = candidate && Math.abs(((seq - candidate.header.sequenceNumber + 0x8000) & 0xffff) - 0x8000);
    if (!candidate || !near || near > MAX_MISORDER) {
      this.candidate = rtp;
      return;
    }
    this.candidate = undefined;
    this.flush();
    this.counters.restarts++;
    this.sink?.restart?.();
    const [first, second] = ((seq - candidate.header.sequenceNumber) & 0xffff) < 0x8000 ? [candidate, rtp] : [rtp, candidate];
    this.next = undefined;
    this.place(first);
    this.place(second);
  }

  private emit(rtp: RtpPacket): void {
    this.counters.emitted++;
    this.sink?.packet(rtp);
  }

  private advanceClock(ts: number): void {
    if (((ts - this.newestTs) >>> 0) < 0x80000000) this.newestTs = ts;
  }

  private giveUpExpiredGaps(): void {
    if (this.head === undefined) return;
    const latencyMs = this.latencyMs();
    const latencyTicks = latencyMs * this.ticksPerMs;
    while (this.head !== undefined && this.sink) {
      const waited = (this.newestTs - this.slots.get(this.head)!.header.timestamp) >>> 0;
      const expired = waited < 0x80000000 && waited > latencyTicks && this.clockMs - this.arrivals.get(this.head)! >= latencyMs;
      if (!expired && this.slots.size <= this.maxPackets) return;
      this.giveUpGap();
    }
  }

  /** Reports the sequence numbers before the oldest buffered packet as lost and emits from there. */
  private giveUpGap(): void {
    const head = this.head!;
    const count = (head - this.next!) & 0xffff;
    this.counters.lost += count;
    for (let i = 0, seq = this.next!; i < count; i++, seq = (seq + 1) & 0xffff) this.givenUp.add(seq);
    // Enough to tell a retransmission that comes a little late; older ones are counted as duplicates.
    for (const seq of this.givenUp) {
      if (this.givenUp.size <= GIVEN_UP_KEPT) break;
      this.givenUp.delete(seq);
    }
    this.sink?.loss({ from: this.next!, to: (head - 1) & 0xffff, count });
    this.next = head;
    this.drain();
  }

  /** Emits buffered packets that are now in order, then finds the next buffered one. */
  private drain(): void {
    let next = this.next!;
    for (let rtp = this.slots.get(next); rtp; rtp = this.slots.get(next)) {
      this.slots.delete(next);
      this.arrivals.delete(next);
      this.emit(rtp);
      next = (next + 1) & 0xffff;
    }
    this.next = next;
    if (this.head !== undefined && this.slots.has(this.head)) return;
    this.head = undefined;
    if (this.slots.size === 0) return;
    // Every buffered packet is less than MAX_DROPOUT ahead, and `next` only moves forward, so each
    // sequence number is looked at here at most once.
    for (let seq = (next + 1) & 0xffff, i = 0; i < MAX_DROPOUT; seq = (seq + 1) & 0xffff, i++) {
      this.counters.steps++;
      if (this.slots.has(seq)) {
        this.head = seq;
        return;
      }
    }
  }
}
