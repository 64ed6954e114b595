import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RtpHeader, RtpPacket } from "werift";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FrameAssembler, type AssembledFrame } from "../../daemon/session/frame-assembler.js";
import { JitterBuffer } from "../../daemon/session/jitter-buffer.js";
import { NackRequester } from "../../daemon/session/nack-requester.js";
import { readIvf, type IvfFrame } from "../../src/media/ivf.js";
import { packetizeVp8 } from "../../src/media/vp8-packetizer.js";
import { random } from "../helpers/rtp-patterns.js";
import { makeVp8Clip } from "../media/helpers.js";

/**
 * The daemon's receive chain as peer.ts wires it (NACK requester, jitter buffer, frame assembler)
 * against a simulated sender that keeps a retransmission history and answers every NACK, over a
 * simulated network with a one-way delay and chosen losses: originals, first retransmissions, or
 * the NACKs themselves. Real VP8 (libvpx) frames, on a simulated clock.
 */
let dir: string;
let clip: IvfFrame[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rescue-loss-recovery-"));
  clip = readIvf(makeVp8Clip(dir, 30, 4)).frames;
  // ffmpeg makes the clip: slow on a busy machine.
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Losses {
  /** Whether the original of packet `seq`, of frame `frame`, is lost. */
  original(seq: number, frame: number): boolean;
  /** Whether retransmission number `n` (1 = the first) of `seq` is lost. */
  retransmission(seq: number, n: number): boolean;
  /** Whether NACK message number `n` (1 = the first) is lost. */
  nack?(n: number): boolean;
}

interface Outcome {
  frames: AssembledFrame[];
  keyframeRequests: string[];
  /** NACK messages, by the sequence numbers each named. */
  nacks: number[][];
  retransmissions: number;
  lostReports: number;
}

/** Streams `frames` at 30 fps through the chain; each way of the network takes `oneWayMs`. */
function simulate(frames: IvfFrame[], losses: Losses, oneWayMs = 15): Outcome {
  let now = 0;
  const queue: Array<{ at: number; order: number; fn: () => void }> = [];
  let order = 0;
  const at = (time: number, fn: () => void): { cancel(): void } => {
    const event = { at: time, order: order++, fn };
    queue.push(event);
    return {
      cancel: () => {
        const k = queue.indexOf(event);
        if (k >= 0) queue.splice(k, 1);
      },
    };
  };
  const out: Outcome = { frames: [], keyframeRequests: [], nacks: [], retransmissions: 0, lostReports: 0 };
  const assembler = new FrameAssembler("VP8", { frame: (f) => out.frames.push(f), needKeyframe: (why) => out.keyframeRequests.push(why) });
  const history = new Map<number, RtpPacket>();
  const sentTimes = new Map<number, number>();
  const nack = new NackRequester({
    now: () => now,
    schedule: (fn, ms) => at(now + Math.max(0, ms), fn),
    send: (seqs) => {
      out.nacks.push(seqs);
      if (losses.nack?.(out.nacks.length)) return;
      // The sender answers every NACK from its history.
      at(now + oneWayMs, () => {
        for (const seq of seqs) {
          const rtp = history.get(seq);
          if (!rtp) continue;
          const n = (sentTimes.get(seq) ?? 0) + 1;
          sentTimes.set(seq, n);
          out.retransmissions++;
          if (!losses.retransmission(seq, n)) at(now + oneWayMs, () => receive(rtp));
        }
      });
    },
  });
  const jitter = new JitterBuffer(
    { clockRate: 90_000, latencyMs: 200, now: () => now },
    {
      packet: (rtp) => assembler.packet(rtp),
      loss: (range) => {
        out.lostReports++;
        nack.giveUp(range.from, range.to);
        assembler.lost();
      },
    },
  );
  const receive = (rtp: RtpPacket): void => {
    nack.packet(rtp.header.sequenceNumber);
    jitter.input(new RtpPacket(rtp.header, rtp.payload));
  };
  let seq = 65_400; // wraps on the way
  frames.forEach((frame, i) => {
    at((i * 1000) / 30, () => {
      const payloads = packetizeVp8(frame.data, 300);
      payloads.forEach((payload, j) => {
        const s = seq++ & 0xffff;
        const rtp = new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: s, timestamp: 1000 + i * 3000, marker: j === payloads.length - 1, ssrc: 1 }), payload);
        history.set(s, rtp);
        if (!losses.original(s, i)) at(now + oneWayMs, () => receive(rtp));
      });
    });
  });
  while (queue.length > 0) {
    queue.sort((a, b) => a.at - b.at || a.order - b.order);
    const event = queue.shift()!;
    now = event.at;
    event.fn();
  }
  jitter.flush();
  nack.close();
  return out;
}

const indices = (frames: AssembledFrame[]): number[] => frames.map((f) => (f.timestamp - 1000) / 3000);

describe("loss recovery through NACK, jitter buffer and frame assembler", () => {
  it("hands on every frame when every lost packet is retransmitted in time, and asks for no keyframe", () => {
    const rand = random(7);
    const lost = new Set<number>();
    const out = simulate(clip, {
      // The first packet and the last frame arrive: a receiver cannot know of packets before the
      // first, nor of a loss with nothing after it.
      original: (seq, frame) => (seq !== 65_400 && frame < clip.length - 1 && rand() < 0.05 ? (lost.add(seq), true) : false),
      retransmission: () => false,
    });
    expect(lost.size).toBeGreaterThan(10);
    expect(indices(out.frames)).toEqual(clip.map((_, i) => i));
    out.frames.forEach((f, i) => expect(f.data.equals(clip[i]!.data), `frame ${i}`).toBe(true));
    expect(out.keyframeRequests).toEqual([]);
    expect(out.lostReports).toBe(0);
    // One NACK per lost packet: none asked for twice.
    expect(out.nacks.flat().length).toBe(lost.size);
  });

  it("asks again when the first retransmission is lost too, and still hands on every frame", () => {
    const rand = random(8);
    const lost = new Set<number>();
    const out = simulate(clip, {
      original: (seq, frame) => (seq !== 65_400 && frame < clip.length - 1 && rand() < 0.05 ? (lost.add(seq), true) : false),
      // Every lost packet's first retransmission is lost as well; one in three also loses its second.
      retransmission: (seq, n) => n === 1 || (n === 2 && seq % 3 === 0),
    });
    expect(lost.size).toBeGreaterThan(10);
    const asked = new Map<number, number>();
    for (const seq of out.nacks.flat()) asked.set(seq, (asked.get(seq) ?? 0) + 1);
    for (const seq of lost) expect(asked.get(seq), `NACKs for ${seq}`).toBe(seq % 3 === 0 ? 3 : 2);
    expect(indices(out.frames)).toEqual(clip.map((_, i) => i));
    expect(out.keyframeRequests).toEqual([]);
    expect(out.lostReports).toBe(0);
  });

  it("repeats a NACK that was itself lost", () => {
    const out = simulate(clip, {
      original: (seq) => seq === ((65_400 + 150) & 0xffff),
      retransmission: () => false,
      nack: (n) => n === 1,
    });
    expect(out.nacks).toEqual([[65_550 & 0xffff], [65_550 & 0xffff]]);
    expect(indices(out.frames)).toEqual(clip.map((_, i) => i));
  });

  it("gives a packet up when no retransmission comes, holds frames back until the next keyframe and asks for it once", () => {
    const gone = (65_400 + 200) & 0xffff;
    const out = simulate(clip, { original: (seq) => seq === gone, retransmission: (seq) => seq === gone });
    expect(out.lostReports).toBe(1);
    expect(out.keyframeRequests[0]).toBe("loss");
    // The frames after the broken one up to the next keyframe (every 30) are not handed on.
    const got = indices(out.frames);
    const broken = got.findIndex((n, i) => n !== i);
    expect(broken).toBeGreaterThan(0);
    expect(got.slice(broken)[0]! % 30).toBe(0);
    expect(got.at(-1)).toBe(clip.length - 1);
  });
});
