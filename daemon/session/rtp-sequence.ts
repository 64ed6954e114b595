/**
 * Sequence distances from RFC 3550 appendix A.1, shared by the jitter buffer and the NACK
 * requester so that both take the same packet for the same thing: a packet up to MAX_DROPOUT ahead
 * of the expected one belongs to the stream (the packets between are late or lost); one up to
 * MAX_MISORDER behind is a late or duplicate packet; anything further is a jump (a sender restart,
 * or a stray packet), unless its timestamp is recent (RECENT_MS).
 */
export const MAX_DROPOUT = 3000;
export const MAX_MISORDER = 100;
/**
 * A packet far from the stream whose timestamp lies up to this far (ms of media time) before the
 * newest is an old packet arriving late (a stale duplicate, or a retransmission answering a repeated
 * NACK after its first copy came), not a new sender: a restarted sender draws a random timestamp,
 * which lands here about once in 4,800 restarts (20 s of 2^32 ticks at 90 kHz), and then it is
 * taken up at most 10 s later.
 */
export const RECENT_MS = 10_000;

/** RECENT_MS in RTP ticks of a stream with `clockRate` Hz. */
export function recentTicks(clockRate: number): number {
  return (RECENT_MS * clockRate) / 1000;
}
