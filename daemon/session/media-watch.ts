import { EventEmitter } from "node:events";

/** What a technician is told about the media path of a session. */
export type MediaPathState = "connecting" | "connected" | "lost" | "closed";

export interface MediaWatchEvents {
  /** The media stopped (`reason`: no packets, or the ICE state), or came back after `afterMs`. */
  lost: [{ reason: string }];
  restored: [{ afterMs: number }];
}

/**
 * Tells the truth about a peer's media path from what arrives: lost when no RTP came for
 * `lostAfterMs` while media should flow (not on hold, not paused by the customer), or when ICE
 * says disconnected or failed; restored at the next packet after that. Browsers send audio
 * all the time (silence included), so a live Lens peer is never quiet for long: 3 s of nothing
 * is a frozen sender or a dead link, not a pause.
 */
export class MediaWatch extends EventEmitter<MediaWatchEvents> {
  state: MediaPathState = "connecting";
  since = Date.now();
  private lastPacketMs = 0;
  private quiet = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly lostAfterMs = 3000,
    private readonly now: () => number = Date.now,
  ) {
    super();
    this.timer = setInterval(() => this.check(), Math.max(100, Math.min(1000, lostAfterMs / 3)));
    this.timer.unref();
  }

  /** An RTP packet of any track arrived. */
  packet(): void {
    this.lastPacketMs = this.now();
    if (this.state === "lost") this.restore();
    else if (this.state === "connecting") this.set("connected");
  }

  /** The peer connection's state (werift's connectionState). */
  ice(state: string): void {
    if ((state === "disconnected" || state === "failed") && this.state === "connected") this.lose(`connection ${state}`);
  }

  /** Silence is expected (session on hold, customer paused): the clock restarts when it ends. */
  setQuiet(quiet: boolean): void {
    if (this.quiet === quiet) return;
    this.quiet = quiet;
    if (!quiet) this.lastPacketMs = this.now();
  }

  close(): void {
    clearInterval(this.timer);
    this.set("closed");
  }

  private check(): void {
    if (this.state !== "connected" || this.quiet) return;
    const silentMs = this.now() - this.lastPacketMs;
    // The outage began with the last packet, not when it was noticed.
    if (silentMs >= this.lostAfterMs) this.lose(`no packets for ${Math.round(silentMs / 100) / 10} s`, this.lastPacketMs);
  }

  private lose(reason: string, sinceMs = this.now()): void {
    this.set("lost");
    this.since = sinceMs;
    this.emit("lost", { reason });
  }

  private restore(): void {
    const afterMs = this.now() - this.since;
    this.set("connected");
    this.emit("restored", { afterMs });
  }

  private set(state: MediaPathState): void {
    this.state = state;
    this.since = this.now();
  }
}
