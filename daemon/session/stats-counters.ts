/** Real-time counters behind `session stats`. */

/** Events in the last `windowMs`, e.g. frames for fps or bytes for bitrate. */
export class RateWindow {
  private readonly times: number[] = [];
  private readonly amounts: number[] = [];
  private head = 0;

  constructor(private readonly windowMs = 1000) {}

  add(amount = 1, now = performance.now()): void {
    this.times.push(now);
    this.amounts.push(amount);
    this.trim(now);
  }

  /** Sum of amounts within the window ending now. */
  sum(now = performance.now()): number {
    this.trim(now);
    let total = 0;
    for (let i = this.head; i < this.amounts.length; i++) total += this.amounts[i]!;
    return total;
  }

  private trim(now: number): void {
    while (this.head < this.times.length && this.times[this.head]! <= now - this.windowMs) this.head++;
    if (this.head > 512) {
      this.times.splice(0, this.head);
      this.amounts.splice(0, this.head);
      this.head = 0;
    }
  }
}

/**
 * Follows RTP sequence numbers: a gap counts its packets as missing; a missing packet that
 * arrives later (a NACK retransmission) is recovered; one still missing after `giveUpMs` is lost,
 * until it arrives after all (within `lateMemoryMs`): then it is recovered, not lost. As RFC 3550's
 * cumulative number of packets lost (section 6.4.1: expected minus received), a packet that came
 * late is not lost; a busy receiver that gave up early must not report loss the network did not cause.
 */
export class SequenceTracker {
  received = 0;
  recovered = 0;
  private lostCount = 0;
  private highest: number | undefined;
  private readonly missing = new Map<number, number>();
  /** Sequence numbers counted as lost, by when: far shorter than a 16-bit wrap (about 8 min at 130 packets/s). */
  private readonly givenUp = new Map<number, number>();

  constructor(
    private readonly giveUpMs = 1000,
    private readonly lateMemoryMs = 10_000,
  ) {}

  get lost(): number {
    this.expire(performance.now());
    return this.lostCount;
  }

  add(seq: number, now = performance.now()): void {
    this.received++;
    if (this.highest === undefined) {
      this.highest = seq;
      return;
    }
    const delta = ((seq - this.highest + 0x8000) & 0xffff) - 0x8000;
    if (delta > 1000) {
      this.highest = seq; // a new source or a restart, not loss
    } else if (delta > 0) {
      for (let i = 1; i < delta; i++) this.missing.set((this.highest + i) & 0xffff, now);
      this.highest = seq;
    } else if (this.missing.delete(seq)) {
      this.recovered++;
    } else if (this.givenUp.delete(seq)) {
      this.lostCount--;
      this.recovered++;
    }
    this.expire(now);
  }

  private expire(now: number): void {
    for (const [seq, since] of this.missing) {
      if (now - since < this.giveUpMs) break; // insertion order is arrival order
      this.missing.delete(seq);
      this.givenUp.set(seq, now);
      this.lostCount++;
    }
    for (const [seq, since] of this.givenUp) {
      if (now - since < this.lateMemoryMs) break;
      this.givenUp.delete(seq);
    }
  }
}
