import { describe, expect, it } from "vitest";
import { bundledClip } from "../../src/customer/assets.js";
import { readIvf } from "../../src/media/ivf.js";
import { opusPacketSamples, readOggOpus } from "../../src/media/ogg-opus.js";
import { packetizeVp8 } from "../../src/media/vp8-packetizer.js";
import { opusHead, vp8KeyframeSize } from "../../daemon/session/media-codecs.js";
import { RtpTimeline } from "../../daemon/session/recorder-clock.js";
import { SequenceTracker } from "../../daemon/session/stats-counters.js";
import { statSync } from "node:fs";

describe("bundled clip and readers", () => {
  it("reads 300 VP8 frames at 30 fps with a keyframe every 2 s", () => {
    const clip = bundledClip();
    expect(statSync(clip.video).size + statSync(clip.audio).size).toBeLessThan(1_000_000);
    const ivf = readIvf(clip.video);
    expect(ivf.header).toMatchObject({ fourcc: "VP80", width: 640, height: 480 });
    expect(ivf.frames).toHaveLength(300);
    const keyframes = ivf.frames.flatMap((f, i) => (f.keyframe ? [i] : []));
    expect(keyframes).toEqual([0, 60, 120, 180, 240]);
    expect(vp8KeyframeSize(ivf.frames[0]!.data)).toEqual({ width: 640, height: 480 });
    expect(vp8KeyframeSize(ivf.frames[1]!.data)).toBeNull();
  });

  it("reads Opus packets of 20 ms with granule positions from Ogg", () => {
    const ogg = readOggOpus(bundledClip().audio);
    expect(ogg.channels).toBe(1);
    expect(ogg.packets.length).toBeGreaterThan(490);
    expect(ogg.packets.every((p) => p.samples === 960)).toBe(true);
    const granules = ogg.packets.filter((p) => p.granule >= 0n).map((p) => p.granule);
    expect(granules.length).toBeGreaterThan(0);
    expect([...granules].sort((a, b) => (a < b ? -1 : 1))).toEqual(granules);
    // The last granule counts every sample decoded, pre-skip included.
    const total = ogg.packets.reduce((sum, p) => sum + p.samples, 0);
    expect(Number(ogg.packets.at(-1)!.granule)).toBeLessThanOrEqual(total);
    expect(Number(ogg.packets.at(-1)!.granule)).toBeGreaterThan(total - 960);
  });

  it("decodes Opus TOC durations and writes an OpusHead", () => {
    expect(opusPacketSamples(Uint8Array.of(0x78))).toBe(960); // config 15: 20 ms, one frame
    expect(opusPacketSamples(Uint8Array.of(0x79))).toBe(1920); // two frames
    expect(opusPacketSamples(Uint8Array.of(0x7b, 0x03))).toBe(2880); // code 3, three frames
    const head = Buffer.from(opusHead(2));
    expect(head.toString("ascii", 0, 8)).toBe("OpusHead");
    expect(head[9]).toBe(2);
  });

  it("packetizes VP8 frames under the MTU with the start bit on the first packet only", () => {
    const frame = readIvf(bundledClip().video).frames[0]!.data;
    const payloads = packetizeVp8(frame, 1000);
    expect(payloads.every((p) => p.length <= 1000)).toBe(true);
    expect(payloads.map((p) => p[0])).toEqual([0x10, ...Array(payloads.length - 1).fill(0)]);
    expect(Buffer.concat(payloads.map((p) => p.subarray(1)))).toEqual(frame);
  });
});

describe("receiver bookkeeping", () => {
  it("unwraps RTP timestamps across the 32-bit boundary", () => {
    const clock = new RtpTimeline(90_000);
    expect(clock.seconds(0xffff_ff00, 0.5)).toBe(0.5);
    expect(clock.seconds(0x0000_0100 + 90_000 - 0x200, 0)).toBeCloseTo(1.5, 6);
  });

  it("counts gaps as lost unless a retransmission fills them", () => {
    const seq = new SequenceTracker(50);
    for (const s of [65534, 65535, 2, 3]) seq.add(s, 0); // 0 and 1 missing across the wrap
    seq.add(0, 10); // recovered
    seq.add(4, 100); // 1 has been missing for too long
    expect(seq.recovered).toBe(1);
    expect(seq.lost).toBe(1);
  });

  it("counts a packet that arrives after it was given up as recovered, not lost (RFC 3550 6.4.1), within its memory", () => {
    const seq = new SequenceTracker(1000, 10_000);
    for (const s of [10, 11, 13, 14, 16]) seq.add(s, 0); // 12 and 15 missing
    seq.add(17, 1500); // both given up
    expect(seq.lost).toBe(2);
    seq.add(12, 1600); // a retransmission that came behind a stalled receiver
    expect(seq.lost).toBe(1);
    expect(seq.recovered).toBe(1);
    seq.add(12, 1700); // a duplicate of it changes nothing
    expect(seq.lost).toBe(1);
    expect(seq.recovered).toBe(1);
    seq.add(18, 20_000);
    seq.add(15, 20_100); // far too late to be told from a packet of the next 16-bit cycle: stays lost
    expect(seq.lost).toBe(1);
    expect(seq.recovered).toBe(1);
  });
});
