/**
 * How much later than the track's usual delay a packet may arrive and still be live (seconds).
 * Above what the video jitter buffer waits for a retransmission (2 s at most, see peer.ts) and
 * below the silence after which media is logged as lost (about 3 s, see media-watch.ts).
 */
export const STALE_AFTER_SEC = 2.5;
/** Late packets that keep coming at the live pace this long (seconds) are a sender whose clock jumped back. */
const LIVE_PACE_SEC = 1;

/**
 * Tells one track's media that arrives too late to be live from media that is live: after a
 * link outage, what a queue on the way held and lets go at once, or what the sender retransmits
 * of what it sent into the dead link, comes seconds late in a burst. Recorded at its own time it
 * would fill the outage with pictures the technician never saw live and that the session log
 * counts as lost. Lateness is arrival minus media time, both on the recording's timeline; the
 * lowest seen is the track's usual delay. A packet more than STALE_AFTER_SEC later than that is
 * stale, unless stale packets keep coming at the live pace for LIVE_PACE_SEC (the sender's clock
 * stood still in a pause): then that lateness is the usual delay from there on.
 */
export class StaleMedia {
  /** Packets found stale (not recorded). */
  dropped = 0;
  private usualSec: number | undefined;
  private run: { firstArrival: number; firstMedia: number; lastMedia: number } | undefined;

  /** Whether media of time `mediaSec` arriving at `arrivalSec` (seconds, recording timeline) is live. */
  live(mediaSec: number, arrivalSec: number): boolean {
    const lateness = arrivalSec - mediaSec;
    if (this.usualSec === undefined || lateness < this.usualSec) this.usualSec = lateness;
    if (lateness <= this.usualSec + STALE_AFTER_SEC) {
      this.run = undefined;
      return true;
    }
    if (!this.run || mediaSec < this.run.lastMedia) this.run = { firstArrival: arrivalSec, firstMedia: mediaSec, lastMedia: mediaSec };
    this.run.lastMedia = mediaSec;
    const arrivalSpan = arrivalSec - this.run.firstArrival;
    // A burst brings seconds of media within milliseconds; a shifted clock, a second per second.
    if (arrivalSpan >= LIVE_PACE_SEC && this.run.lastMedia - this.run.firstMedia <= arrivalSpan * 1.5) {
      this.usualSec = lateness;
      this.run = undefined;
      return true;
    }
    this.dropped++;
    return false;
  }
}
