import { describe, expect, it } from "vitest";
import type { RtpPacket } from "werift";
import { JitterBuffer } from "../../daemon/session/jitter-buffer.js";
import { copy, duplicate, indexOf, lose, random, reorder, stream } from "../helpers/rtp-patterns.js";

// The daemon's video jitter buffer (daemon/session/peer.ts) fed synthetic arrival patterns. A loss
// report is what makes the peer send a PLI, so "no false loss" is "no keyframe request without
// real loss". 120 packets/s at 30 fps: 200 ms of latency is 24 packets.

interface Run {
  /** Indices (see rtp-patterns) of the packets emitted, in emission order. */
  out: number[];
  /** Sequence numbers reported lost, in report order. */
  lost: number[];
  lossReports: number;
  restarts: number;
  maxBuffered: number;
  counters: JitterBuffer["counters"];
}

/**
 * Feeds `arrivals` in order; the wall clock of arrival k is `at(k)` ms, by default one packet every
 * 1/120 s (the stream's own pace: dropped packets leave no hole in time, reordering none either).
 */
function run(arrivals: RtpPacket[], at: (k: number) => number = (k) => (k * 1000) / 120, latencyMs: number | (() => number) = 200): Run {
  const r: Omit<Run, "counters"> = { out: [], lost: [], lossReports: 0, restarts: 0, maxBuffered: 0 };
  let nowMs = 0;
  const jitter = new JitterBuffer(
    { clockRate: 90_000, latencyMs, now: () => nowMs },
    {
      packet: (rtp) => r.out.push(indexOf.get(rtp)!),
      loss: ({ from, count }) => {
        r.lossReports++;
        for (let k = 0; k < count; k++) r.lost.push((from + k) & 0xffff);
      },
      restart: () => r.restarts++,
    },
  );
  for (const [k, rtp] of arrivals.entries()) {
    nowMs = at(k);
    jitter.input(rtp);
    r.maxBuffered = Math.max(r.maxBuffered, jitter.buffered);
  }
  jitter.flush();
  return { ...r, counters: jitter.counters };
}

/** Every distinct packet that arrived, by index, in stream order. */
function arrived(arrivals: RtpPacket[]): number[] {
  return [...new Set(arrivals.map((rtp) => indexOf.get(rtp)!))].sort((a, b) => a - b);
}

/** Sequence numbers of `sent` that never arrived, between the first and last that did. */
function missing(sent: RtpPacket[], arrivals: RtpPacket[]): number[] {
  const got = new Set(arrivals.map((rtp) => indexOf.get(rtp)!));
  const last = Math.max(...got);
  return sent.filter((rtp) => indexOf.get(rtp)! < last && !got.has(indexOf.get(rtp)!)).map((rtp) => rtp.header.sequenceNumber);
}

/** Runs of consecutive missing packets: one loss report each. */
function runs(seqs: number[]): number {
  return seqs.filter((s, i) => i === 0 || seqs[i - 1] !== ((s - 1) & 0xffff)).length;
}

function expectLossless(r: Run, arrivals: RtpPacket[]): void {
  expect(r.out).toEqual(arrived(arrivals));
  expect(r.lost).toEqual([]);
  expect(r.restarts).toBe(0);
}

describe("video jitter buffer", () => {
  it("passes an in-order stream straight through, with no work beyond the packet", () => {
    const sent = stream({ count: 10_000 });
    const r = run(sent);
    expectLossless(r, sent);
    expect(r.maxBuffered).toBe(0);
    expect(r.counters.steps).toBe(0);
  });

  it.each([0.005, 0.02, 0.05])("emits every packet that arrived once, in order, at %s unrecovered loss", (p) => {
    const sent = stream({ count: 20_000 });
    const arrivals = lose(sent, p, 19);
    const r = run(arrivals);
    expect(r.out).toEqual(arrived(arrivals));
    const gone = missing(sent, arrivals);
    expect(gone.length).toBeGreaterThan(20_000 * p * 0.7);
    expect(r.lost).toEqual(gone);
    expect(r.lossReports).toBe(runs(gone));
    expect(r.counters).toMatchObject({ duplicates: 0, late: 0, restarts: 0, lost: gone.length });
    // Held packets: about the latency's worth, not a growing backlog.
    expect(r.maxBuffered).toBeLessThanOrEqual(30);
  });

  it("reorders packets delayed within the latency without reporting loss", () => {
    const sent = stream({ count: 20_000 });
    const arrivals = reorder(sent, 12, 7);
    expect(arrivals).not.toEqual(sent);
    expectLossless(run(arrivals), sent);
  });

  it("drops duplicates, near or far behind, without reporting loss", () => {
    const sent = stream({ count: 20_000 });
    for (const maxLag of [3, 30, 400]) {
      const arrivals = duplicate(reorder(sent, 6, maxLag), 0.1, maxLag, maxLag);
      const r = run(arrivals);
      expectLossless(r, sent);
      expect(r.counters.duplicates + r.counters.late).toBeGreaterThan(0);
      expect(r.counters.emitted).toBe(sent.length);
    }
  });

  it("keeps order and reports the right sequence numbers across the wrap at 65535", () => {
    const sent = stream({ count: 5000, firstSeq: 63_000 });
    const arrivals = duplicate(reorder(lose(sent, 0.02, 3), 8, 4), 0.05, 10, 5);
    const r = run(arrivals);
    const gone = missing(sent, arrivals);
    expect(r.out).toEqual(arrived(arrivals));
    expect(r.lost).toEqual(gone);
    expect(gone.some((s) => s < 1000) && gone.some((s) => s > 64_000)).toBe(true);
  });

  it("uses NACK retransmissions that come in time and reports only those that come too late", () => {
    const sent = stream({ count: 10_000 });
    const rand = random(11);
    const dropped = new Set(sent.filter(() => rand() < 0.05));
    const arrivals: RtpPacket[] = [];
    const late = new Set<RtpPacket>();
    for (const [i, rtp] of sent.entries()) {
      if (!dropped.has(rtp)) arrivals.push(rtp);
      // A retransmission 5 packets (42 ms) later; one in ten only after 60 packets (500 ms).
      const lost = sent[i - 5];
      if (lost && dropped.has(lost) && indexOf.get(lost)! % 10 !== 0) arrivals.push(copy(lost));
      const tooLate = sent[i - 60];
      if (tooLate && dropped.has(tooLate) && indexOf.get(tooLate)! % 10 === 0) {
        late.add(tooLate);
        arrivals.push(copy(tooLate));
      }
    }
    const r = run(arrivals);
    expect(late.size).toBeGreaterThan(0);
    expect(r.out).toEqual(arrived(arrivals).filter((i) => ![...late].some((rtp) => indexOf.get(rtp) === i)));
    expect(r.lost).toEqual([...late].map((rtp) => rtp.header.sequenceNumber));
    expect(r.counters.late).toBe(late.size);
    expect(r.counters.tooLate).toBe(late.size);
  });

  it("waits for a retransmission of a gap found in a burst read after a stall, though its media time has passed", () => {
    const sent = stream({ count: 400 });
    const gap = sent[200]!;
    // The process stalls for 600 ms: 72 packets wait in the socket and are read at one instant;
    // packet 200 among them was lost, and its retransmission (the NACK went after the burst) comes
    // 30 ms after the burst, with the stream resuming its pace.
    const arrivals = [...sent.slice(0, 160), ...sent.slice(160, 232).filter((rtp) => rtp !== gap), copy(gap), ...sent.slice(232)];
    const at = (k: number): number => {
      if (k < 160) return (k * 1000) / 120;
      if (k < 231) return (232 * 1000) / 120;
      return (232 * 1000) / 120 + 30 + ((k - 231) * 1000) / 120;
    };
    const r = run(arrivals, at);
    expectLossless(r, arrivals);
    expect(r.counters.tooLate).toBe(0);
  });

  it("waits for a retransmission that a stalled sender sends behind its overdue frames", () => {
    const sent = stream({ count: 600 });
    const gap = sent[200]!;
    // 200 is lost; its NACK reaches the sender at once, but the sender stalls for 800 ms right
    // then: nothing arrives for 800 ms, then the 96 overdue packets in a burst (its timers run
    // before it reads the NACK), and the retransmission 5 ms behind them; then the stream's pace.
    const arrivals = [...sent.slice(0, 200), ...sent.slice(201, 205), ...sent.slice(205, 301), copy(gap), ...sent.slice(301)];
    const stallEnd = (205 * 1000) / 120 + 800;
    const at = (k: number): number => {
      if (k < 204) return (k * 1000) / 120;
      if (k < 300) return stallEnd + (k - 204) * 0.05;
      if (k === 300) return stallEnd + 5;
      return stallEnd + 5 + ((k - 300) * 1000) / 120;
    };
    const r = run(arrivals, at);
    expectLossless(r, arrivals);
    expect(r.counters.tooLate).toBe(0);
    // The same stall with the retransmission lost as well: given up once the stream has run on for
    // the wait after the burst, about 24 packets later, not held for good.
    const lostTwice = arrivals.filter((rtp) => indexOf.get(rtp) !== indexOf.get(gap));
    const lr = run(lostTwice, (k) => (k < 204 ? (k * 1000) / 120 : k < 300 ? stallEnd + (k - 204) * 0.05 : stallEnd + ((k - 299) * 1000) / 120));
    expect(lr.lost).toEqual([gap.header.sequenceNumber]);
    expect(lr.maxBuffered).toBeLessThanOrEqual(96 + 30);
  });

  it("waits as long as the latency function says at the time (a slow retransmission round trip)", () => {
    const sent = stream({ count: 400 });
    const gap = sent[100]!;
    // The retransmission comes 48 packets (400 ms) after the original was due.
    const arrivals = [...sent.slice(0, 100), ...sent.slice(101, 148), copy(gap), ...sent.slice(148)];
    expect(run(arrivals, undefined, 200).lost).toEqual([gap.header.sequenceNumber]);
    let wait = 200;
    const r = run(arrivals, (k) => ((wait = k > 50 ? 500 : 200), (k * 1000) / 120), () => wait);
    expectLossless(r, arrivals);
  });

  it("still gives up a gap after the wait when nothing comes to fill it, whatever the clocks", () => {
    const sent = stream({ count: 400 });
    const arrivals = sent.filter((_, i) => i !== 200);
    const r = run(arrivals);
    expect(r.lost).toEqual([sent[200]!.header.sequenceNumber]);
    // Given up as soon as both clocks passed 200 ms: about 24 packets later, not at the flush.
    expect(r.maxBuffered).toBeGreaterThanOrEqual(24);
    expect(r.maxBuffered).toBeLessThanOrEqual(27);
  });

  it("follows a restarted sender (a new sequence far from the old) without loss", () => {
    // New random timestamps, or the old clock running on (600 packets are 150 frames of 3000 ticks).
    for (const [firstSeq, firstTs] of [[40_000, 987_654_321], [200, 987_654_321], [30_000, 12_345 + 150 * 3000]] as const) {
      const before = stream({ count: 600, firstSeq: 1000 });
      const after = stream({ count: 600, firstSeq, firstTs, indexBase: 10_000 });
      const arrivals = [...before, ...reorder(after, 3, 1)];
      const r = run(arrivals);
      expect(r.out).toEqual(arrived(arrivals));
      expect(r.lost).toEqual([]);
      expect(r.restarts).toBe(1);
    }
  });

  it("reports a long outage as one loss of exactly the packets missed", () => {
    const sent = stream({ count: 3000, firstSeq: 64_000 });
    const arrivals = [...sent.slice(0, 500), ...sent.slice(2500)];
    const r = run(arrivals);
    expect(r.out).toEqual(arrived(arrivals));
    expect(r.lossReports).toBe(1);
    expect(r.lost).toEqual(sent.slice(500, 2500).map((rtp) => rtp.header.sequenceNumber));
    expect(r.restarts).toBe(0);
  });

  it("ignores a stray packet far from the stream", () => {
    const sent = stream({ count: 1000 });
    const [stray] = stream({ count: 1, firstSeq: 30_000, indexBase: 99_999 });
    const arrivals = [...sent.slice(0, 500), stray!, ...sent.slice(500)];
    const r = run(arrivals);
    expect(r.out).toEqual(arrived(sent));
    expect(r.lost).toEqual([]);
    expect(r.restarts).toBe(0);
  });

  it("takes a burst of retransmissions arriving seconds late for late packets, not a restart", () => {
    const sent = stream({ count: 1000 });
    const stale = sent.slice(100, 110).map(copy);
    const arrivals = [...sent.slice(0, 600), ...stale, ...sent.slice(600)];
    const r = run(arrivals);
    expectLossless(r, sent);
    expect(r.counters.late).toBe(stale.length);
  });

  it("does work in proportion to the packets, whatever the loss (100k packets)", () => {
    const sent = stream({ count: 100_000, firstSeq: 50_000 });
    const clean = run(sent);
    const lossy = run(reorder(lose(sent, 0.05, 23), 10, 29));
    // A step is one buffer look-up while scanning for the next buffered packet: at most one per
    // sequence number passed, so at most one per packet sent.
    expect(clean.counters.steps).toBe(0);
    expect(lossy.counters.steps).toBeLessThanOrEqual(sent.length);
    expect(lossy.counters.received + lossy.counters.steps).toBeLessThanOrEqual(2 * clean.counters.received);
    expect(lossy.counters.emitted).toBe(lossy.counters.received);
  });
});
