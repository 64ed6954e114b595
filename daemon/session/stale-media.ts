/**
 * How much later than the track's usual delay a packet may arrive and still be live (seconds).
 * Above what the video jitter buffer waits for a retransmission (2 s at most, see peer.ts) and
 * below the silence after which media is logged as lost (about 3 s, see media-watch.ts).
 */
export const STALE_AFTER_SEC = 2.5;
/** Late packets that keep coming at the live pace this long (seconds) are a sender whose clock jumped back. */
const LIVE_PACE_SEC = 1;
/**
 * A track from which nothing came for this long (seconds, by arrival; the recorder's AUDIO_HOLE_SEC)
 * was paused or cut off, not merely jittery: Opus DTX still sends a packet every 400 ms.
 */
export const SILENCE_SEC = 1;
/**
 * After such a silence, a packet whose arrival moved on this much more (seconds) than its media
 * time did comes from a sender whose clock stood still through it (Chrome's audio after
 * `replaceTrack(null)` resumes its RTP timestamps where they stopped), or is the start of a burst.
 */
const CLOCK_STOOD_STILL_SEC = 0.5;

/** One packet's fate: its time on the recording's timeline (seconds), or null: stale, not to be recorded. */
export interface Placed<T> {
  item: T;
  sec: number | null;
}

interface Held<T> {
  item: T;
  mediaSec: number;
  arrivalSec: number;
}

/**
 * Places one track's media on the recording's timeline by its media time (from RTP), and tells it
 * from media whose media time does not say when it was live:
 * - After a link outage, what a queue on the way held and lets go at once, or what the sender
 *   retransmits of what it sent into the dead link, comes seconds late in a burst. Recorded at its
 *   own time it would fill the outage with pictures the technician never saw live and that the
 *   session log counts as lost: such packets are stale (`sec: null`).
 * - A sender whose clock stood still while it sent nothing (a pause, a hold) resumes with media
 *   times from before the pause: at its own time it would land inside or before the pause, ahead
 *   of the other track. The track is re-anchored at arrival: its media time is shifted so that its
 *   delay is the usual one again, and the pause stays a hole in the track.
 * Lateness is arrival minus media time, both on the recording's timeline; the lowest seen is the
 * track's usual delay. A packet later than that by more than STALE_AFTER_SEC (or, after SILENCE_SEC
 * without packets, by more than CLOCK_STOOD_STILL_SEC) starts a run that is held, not placed, until
 * it is known: late packets that keep coming at the live pace for LIVE_PACE_SEC are a sender whose
 * clock stood still (the run is shifted and placed); a packet on time again, or a run that is not
 * at the live pace, ends it as a burst (its packets more than STALE_AFTER_SEC late are stale and
 * dropped, the rest placed at their media time).
 * Source of the rule: RFC 3550 5.1 has a sender's timestamps advance through silence, but Chrome's
 * audio after `replaceTrack(null)` does not; without sender reports (RFC 3550 6.4.1) for every
 * sender, arrival is what tells how long a silence was.
 */
export class StaleMedia<T = undefined> {
  /** Packets found stale (not recorded). */
  dropped = 0;
  private usualSec: number | undefined;
  /** Added to every media time: the sum of the re-anchorings so far. */
  private shiftSec = 0;
  private lastArrivalSec: number | undefined;
  private run: { held: Held<T>[]; lateness: number; margin: number; firstArrival: number; firstMedia: number; lastMedia: number } | undefined;

  /**
   * Takes one packet with its media time `mediaSec` (from RTP, seconds on the recording's timeline)
   * arriving at `arrivalSec` (seconds, same timeline). Returns the packets now decided, in order:
   * none while a run is held, this one alone in the usual case, a whole run when it is decided.
   */
  admit(mediaSec: number, arrivalSec: number, item: T): Placed<T>[] {
    const media = mediaSec + this.shiftSec;
    const silence = this.lastArrivalSec === undefined ? 0 : arrivalSec - this.lastArrivalSec;
    this.lastArrivalSec = arrivalSec;
    const lateness = arrivalSec - media;
    if (this.usualSec === undefined || lateness < this.usualSec) this.usualSec = lateness;
    const out: Placed<T>[] = [];
    const run = this.run;
    if (run) {
      if (lateness <= this.usualSec + run.margin) {
        // On time again: what the run held came late in a burst.
        out.push(...this.settle(false));
      } else {
        run.held.push({ item, mediaSec: media, arrivalSec });
        run.lastMedia = Math.max(run.lastMedia, media);
        const arrivalSpan = arrivalSec - run.firstArrival;
        if (arrivalSpan >= LIVE_PACE_SEC) {
          // A burst brings seconds of media within milliseconds; a shifted clock, a second per second.
          const livePace = run.lastMedia - run.firstMedia <= arrivalSpan * 1.5;
          out.push(...this.settle(livePace));
        }
        return out;
      }
    }
    const margin = silence >= SILENCE_SEC ? CLOCK_STOOD_STILL_SEC : STALE_AFTER_SEC;
    if (lateness <= this.usualSec + margin) {
      out.push({ item, sec: media });
      return out;
    }
    this.run = { held: [{ item, mediaSec: media, arrivalSec }], lateness, margin, firstArrival: arrivalSec, firstMedia: media, lastMedia: media };
    return out;
  }

  /** Decides a run still held (at the end of the recording) by the pace it kept so far. */
  flush(): Placed<T>[] {
    const run = this.run;
    if (!run) return [];
    const arrivalSpan = run.held.at(-1)!.arrivalSec - run.firstArrival;
    return this.settle(run.lastMedia - run.firstMedia <= arrivalSpan * 1.5 + 0.1);
  }

  /** Ends the held run: shifted to the usual delay (a clock that stood still), or as a burst. */
  private settle(clockStoodStill: boolean): Placed<T>[] {
    const run = this.run!;
    this.run = undefined;
    const usual = this.usualSec!;
    if (clockStoodStill) {
      const shift = run.lateness - usual;
      this.shiftSec += shift;
      return run.held.map((h) => ({ item: h.item, sec: h.mediaSec + shift }));
    }
    return run.held.map((h) => {
      if (h.arrivalSec - h.mediaSec <= usual + STALE_AFTER_SEC) return { item: h.item, sec: h.mediaSec };
      this.dropped++;
      return { item: h.item, sec: null };
    });
  }
}
