import { describe, expect, it } from "vitest";
import { NackRequester, type NackRequesterOptions } from "../../daemon/session/nack-requester.js";

// The daemon's NACK requester driven by a test clock: what it asks the sender for, and when.

interface Harness {
  nack: NackRequester;
  /** Each NACK message sent: the wall-clock time and the sequence numbers it named. */
  sent: Array<{ at: number; seqs: number[] }>;
  /** Advances the clock by `ms`, running every timer that falls due on the way. */
  advance(ms: number): void;
  now(): number;
}

function harness(opts: Partial<NackRequesterOptions> = {}): Harness {
  let now = 0;
  let timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  const sent: Harness["sent"] = [];
  const nack = new NackRequester({
    send: (seqs) => sent.push({ at: now, seqs: [...seqs] }),
    now: () => now,
    schedule: (fn, ms) => {
      const timer = { at: now + Math.max(0, ms), fn, live: true };
      timers.push(timer);
      return { cancel: () => void (timer.live = false) };
    },
    ...opts,
  });
  const advance = (ms: number): void => {
    const end = now + ms;
    for (;;) {
      timers = timers.filter((t) => t.live);
      const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      now = Math.max(now, due.at);
      due.live = false;
      due.fn();
    }
    now = end;
  };
  return { nack, sent, advance, now: () => now };
}

function feed(h: Harness, seqs: number[], gapMs = 0): void {
  for (const seq of seqs) {
    h.nack.packet(seq & 0xffff);
    if (gapMs) h.advance(gapMs);
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("NACK requester", () => {
  it("asks for nothing while the stream is whole, reordered packets aside", () => {
    const h = harness();
    feed(h, range(100, 2000), 8);
    h.advance(1000);
    expect(h.sent).toEqual([]);
    expect(h.nack.counters.nacks).toBe(0);
  });

  it("names all packets found missing in one burst in a single NACK, at once", () => {
    const h = harness();
    feed(h, [10, 11, 14, 15, 17, 18]);
    h.advance(0);
    expect(h.sent).toEqual([{ at: 0, seqs: [12, 13, 16] }]);
  });

  it("asks again when the first retransmission is lost, only for what is still missing", () => {
    const h = harness({ initialRttMs: 20 });
    feed(h, [1, 2, 5, 6]);
    h.advance(0);
    expect(h.sent.map((s) => s.seqs)).toEqual([[3, 4]]);
    // 3's retransmission comes after 10 ms; 4's is lost on the way.
    h.advance(10);
    h.nack.packet(3);
    h.advance(h.nack.retryMs);
    expect(h.sent.map((s) => s.seqs)).toEqual([[3, 4], [4]]);
    expect(h.sent[1]!.at).toBeGreaterThan(h.sent[0]!.at);
    expect(h.nack.counters.repeats).toBe(1);
    // The second retransmission arrives: no more NACKs, ever.
    h.nack.packet(4);
    h.advance(5000);
    expect(h.sent).toHaveLength(2);
    expect(h.nack.counters.recovered).toBe(2);
    expect(h.nack.pending).toBe(0);
  });

  it("asks at most maxAttempts times, spaced by the retry time, then forgets the packet", () => {
    const h = harness({ maxAttempts: 4, initialRttMs: 30 });
    feed(h, [1, 3]);
    h.advance(5000);
    expect(h.sent.map((s) => s.seqs)).toEqual([[2], [2], [2], [2]]);
    const gaps = h.sent.slice(1).map((s, i) => s.at - h.sent[i]!.at);
    for (const gap of gaps) expect(gap).toBeCloseTo(h.nack.retryMs, 0);
    expect(h.nack.pending).toBe(0);
    expect(h.nack.counters.abandoned).toBe(1);
  });

  it("stops asking for what the jitter buffer gave up", () => {
    const h = harness();
    feed(h, [100, 105]);
    h.advance(0);
    expect(h.sent.map((s) => s.seqs)).toEqual([[101, 102, 103, 104]]);
    h.nack.giveUp(101, 103);
    h.advance(h.nack.retryMs);
    expect(h.sent.map((s) => s.seqs)).toEqual([[101, 102, 103, 104], [104]]);
  });

  it("follows the stream across the wrap at 65535, a loss on the wrap included", () => {
    const h = harness();
    // 65535 and 0 are lost, then 3; werift's NackHandler lost track of the stream here for good.
    feed(h, [65_532, 65_533, 65_534, 1, 2, 4, 5]);
    h.advance(0);
    expect(h.sent.map((s) => s.seqs)).toEqual([[65_535, 0, 3]]);
    feed(h, [65_535, 0, 3]);
    // Later losses are still found.
    feed(h, [6, 8]);
    h.advance(0);
    expect(h.sent.map((s) => s.seqs)).toEqual([[65_535, 0, 3], [7]]);
    expect(h.nack.counters.recovered).toBe(3);
  });

  it("measures the round trip from retransmissions asked for once, and repeats after about 1.5 of it", () => {
    const h = harness({ initialRttMs: 100, minRetryMs: 5, maxRetryMs: 1000 });
    let seq = 0;
    /** `rounds` single losses, each retransmitted `rttMs` after its NACK. */
    const lossesRecoveredAfter = (rttMs: number, rounds: number) => {
      for (let i = 0; i < rounds; i++) {
        feed(h, [seq, seq + 2]);
        h.advance(0);
        h.advance(rttMs);
        h.nack.packet(seq + 1);
        seq += 3;
      }
    };
    lossesRecoveredAfter(120, 60);
    // 120 ms from NACK to retransmission, so no repeat once the estimate has caught up.
    expect(h.nack.rttMs).toBeGreaterThan(115);
    expect(h.nack.rttMs).toBeLessThan(121);
    expect(h.nack.retryMs).toBeGreaterThan(175);
    expect(h.nack.counters.repeats).toBe(0);
    // The path gets faster (8 ms): the estimate follows it down.
    lossesRecoveredAfter(8, 30);
    expect(h.nack.rttMs).toBeLessThan(9);
    // A steady path: the deviation shrinks, and the wait for a NACK and its repeat with it.
    expect(h.nack.rttVarMs).toBeLessThan(5);
    expect(h.nack.twoAttemptsMs).toBeLessThan(50);
  });

  it("widens the wait for a NACK and its repeat when the round trip varies", () => {
    // A long retry time: every retransmission answers the one NACK, a clean sample.
    const h = harness({ initialRttMs: 20, minRetryMs: 200 });
    let seq = 0;
    for (let i = 0; i < 40; i++) {
      feed(h, [seq, seq + 2]);
      h.advance(0);
      // 10 ms and 90 ms round trips in turn (a machine that stalls now and then).
      const rtt = i % 2 ? 90 : 10;
      h.advance(rtt);
      h.nack.packet(seq + 1);
      seq += 3;
    }
    expect(h.nack.counters.repeats).toBe(0);
    expect(h.nack.rttVarMs).toBeGreaterThan(25);
    expect(h.nack.twoAttemptsMs - h.nack.retryMs).toBeGreaterThan(150);
  });

  it("keeps its estimate near the truth when every first retransmission is lost (no runaway)", () => {
    const h = harness({ initialRttMs: 30 });
    let seq = 0;
    for (let i = 0; i < 60; i++) {
      feed(h, [seq, seq + 2]);
      h.advance(0);
      // The first retransmission is lost; the second arrives one round trip (30 ms) after its NACK.
      h.advance(h.nack.retryMs + 30);
      h.nack.packet(seq + 1);
      seq += 3;
    }
    expect(h.nack.counters.repeats).toBe(60);
    expect(h.nack.rttMs).toBeGreaterThan(25);
    expect(h.nack.rttMs).toBeLessThanOrEqual(31);
    expect(h.nack.retryMs).toBeLessThan(60);
  });

  it("treats a far jump as a restart, not as thousands of missing packets", () => {
    const h = harness();
    feed(h, [1000, 1001, 40_000, 40_001, 40_003]);
    h.advance(0);
    expect(h.sent.map((s) => s.seqs)).toEqual([[40_002]]);
  });

  it("takes a duplicate retransmission arriving far behind for a late packet, not a restart that asks again for everything since", () => {
    // 100 packets a second at 3,000 ticks (30 fps) a frame of three packets; 700 lost, NACKed twice,
    // both retransmissions answered: the second copy comes 250 packets after the first.
    const h = harness();
    const ts = (seq: number): number => (1_000_000 + Math.floor(seq / 3) * 3000) >>> 0;
    const feedTs = (seqs: number[]): void => seqs.forEach((seq) => h.nack.packet(seq & 0xffff, ts(seq)));
    feedTs([...range(500, 699), ...range(701, 750)]);
    h.advance(0);
    expect(h.sent.map((s) => s.seqs)).toEqual([[700]]);
    h.advance(h.nack.retryMs);
    expect(h.sent.map((s) => s.seqs)).toEqual([[700], [700]]);
    feedTs([700, ...range(751, 950)]);
    // The copy answering the repeat: 251 packets behind, its media time 2.5 s before the newest.
    feedTs([700, ...range(951, 1200)]);
    h.advance(2000);
    expect(h.sent.map((s) => s.seqs)).toEqual([[700], [700]]);
    expect(h.nack.counters.abandoned).toBe(0);
    // A real restart (a new random timestamp) is still taken for one.
    h.nack.packet(30_000, 0x7000_0000);
    h.nack.packet(30_001, 0x7000_0000);
    h.nack.packet(30_003, 0x7000_0000);
    h.advance(0);
    expect(h.sent.map((s) => s.seqs).at(-1)).toEqual([30_002]);
  });

  it("learns how long lost packets take to come back, though repeats hide the round trip and the jitter buffer gave some up", () => {
    const h = harness({ initialRttMs: 20 });
    // Before anything came back: a long wait, as at a session's busy start.
    expect(h.nack.recoveryWaitMs).toBe(1000);
    // A lagging sender: every retransmission comes 400 ms after the first NACK, while repeats go
    // every ~35 ms; the round trip estimate stays small (each arrival follows a repeat closely).
    let seq = 0;
    for (let i = 0; i < 20; i++) {
      feed(h, [seq, seq + 2]);
      h.advance(400);
      h.nack.packet(seq + 1);
      seq += 3;
    }
    expect(h.nack.rttMs).toBeLessThan(100);
    expect(h.nack.recoveryMs).toBeGreaterThan(390);
    expect(h.nack.recoveryWaitMs).toBeGreaterThanOrEqual(400);
    // Given up at 300 ms, here at 900 ms: still a sample (a wait too short would otherwise never learn).
    const before = h.nack.recoveryMs;
    feed(h, [seq, seq + 2]);
    h.advance(300);
    h.nack.giveUp(seq + 1, seq + 1);
    h.advance(600);
    h.nack.packet(seq + 1);
    expect(h.nack.recoveryMs).toBeCloseTo(before + (900 - before) / 4, 5);
    // Its duplicate is no second sample.
    h.nack.packet(seq + 1);
    expect(h.nack.recoveryMs).toBeCloseTo(before + (900 - before) / 4, 5);
    // Fast recoveries pull the mean back, but the slow one is still waited for while it is recent.
    for (let i = 0; i < 20; i++) {
      seq += 3;
      feed(h, [seq, seq + 2]);
      h.advance(5);
      h.nack.packet(seq + 1);
    }
    expect(h.nack.recoveryMs + 4 * h.nack.recoveryVarMs).toBeLessThan(900);
    expect(h.nack.recoveryWaitMs).toBe(900);
  });

  it("asks for at most maxMissing packets after an outage, the newest ones", () => {
    const h = harness({ maxMissing: 50 });
    feed(h, [0, 1001]);
    h.advance(0);
    expect(h.sent.map((s) => s.seqs)).toEqual([range(951, 1000)]);
  });
});
