/**
 * Turns 32-bit RTP timestamps into seconds on the recording's timeline: unwrapped, anchored at the
 * track's first packet, and offset by when that first packet arrived relative to the recording's
 * first packet of any track (a rough audio/video alignment without sender reports).
 */
export class RtpTimeline {
  private first: number | undefined;
  private last = 0;
  private cycles = 0;
  private offsetSec = 0;

  constructor(private readonly clockRate: number) {}

  get started(): boolean {
    return this.first !== undefined;
  }

  /** Seconds for `timestamp`; the first call fixes the anchor at `offsetSec`. */
  seconds(timestamp: number, offsetSec: number): number {
    if (this.first === undefined) {
      this.first = timestamp;
      this.last = timestamp;
      this.offsetSec = offsetSec;
    }
    // A backwards step of more than half the range is a wrap forwards, and vice versa.
    const delta = timestamp - this.last;
    if (delta < -0x8000_0000) this.cycles++;
    else if (delta > 0x8000_0000) this.cycles--;
    this.last = timestamp;
    const unwrapped = timestamp + this.cycles * 0x1_0000_0000 - this.first;
    return this.offsetSec + unwrapped / this.clockRate;
  }
}
