import type { SessionStats } from "../../src/protocol/index.js";

/** The counts of `session stats` that add up over a session's media connections. */
interface Counts {
  connections: number;
  videoFrames: number;
  videoPacketsLost: number;
  videoPacketsRecovered: number;
  audioPackets: number;
  audioPacketsLost: number;
  audioSentPackets: number;
}

const ZERO: Counts = { connections: 0, videoFrames: 0, videoPacketsLost: 0, videoPacketsRecovered: 0, audioPackets: 0, audioPacketsLost: 0, audioSentPackets: 0 };

/**
 * What a session's earlier media connections in this daemon counted (a page reload, a new
 * network, a daemon that adopted the session each make a new connection whose own counters start
 * at 0). `session stats` adds them to the live connection's, so frames and packets are the
 * session's and never go back, and `connections` says how many there were.
 */
export class SessionTotals {
  private readonly closed = new Map<string, Counts>();

  /**
   * `live`: the current connection's figures, or zeros without one (`hasLive` false). Returns
   * them with the closed connections' counts added and `connections` set, in place.
   */
  apply(sessionId: string, live: SessionStats, hasLive: boolean): SessionStats {
    const c = this.closed.get(sessionId) ?? ZERO;
    live.connections = c.connections + (hasLive ? 1 : 0);
    live.video.frames += c.videoFrames;
    live.video.packetsLost += c.videoPacketsLost;
    live.video.packetsRecovered += c.videoPacketsRecovered;
    live.audio.packets += c.audioPackets;
    live.audio.packetsLost += c.audioPacketsLost;
    live.audio.sentPackets += c.audioSentPackets;
    return live;
  }

  /** A connection closed; `totals` are its figures as apply() returned them (earlier ones included). */
  closedWith(sessionId: string, totals: SessionStats): void {
    this.closed.set(sessionId, {
      connections: totals.connections ?? 1,
      videoFrames: totals.video.frames,
      videoPacketsLost: totals.video.packetsLost,
      videoPacketsRecovered: totals.video.packetsRecovered,
      audioPackets: totals.audio.packets,
      audioPacketsLost: totals.audio.packetsLost,
      audioSentPackets: totals.audio.sentPackets,
    });
  }

  forget(sessionId: string): void {
    this.closed.delete(sessionId);
  }
}
