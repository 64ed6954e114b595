import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RtpHeader, RtpPacket } from "werift";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FrameAssembler, type AssembledFrame } from "../../daemon/session/frame-assembler.js";
import { JitterBuffer } from "../../daemon/session/jitter-buffer.js";
import { takeSnapshot } from "../../daemon/session/snapshot.js";
import { VideoTap } from "../../daemon/session/video-tap.js";
import { ivfFileHeader, ivfFrameHeader, readIvf, type IvfFrame } from "../../src/media/ivf.js";
import { packetizeVp8 } from "../../src/media/vp8-packetizer.js";
import { decodeFrames } from "../helpers/picture.js";
import { makeVp8Clip } from "../media/helpers.js";

/**
 * Real VP8 (libvpx, a moving test picture, a keyframe every 30 frames) through RTP packets into
 * the daemon's frame assembler, judged by decoding what comes out with ffmpeg and comparing each
 * picture with the clip's own.
 */
const W = 64;
const H = 48;

let dir: string;
let clipPath: string;
let clip: IvfFrame[];
/** The clip's pictures, decoded straight from the file. */
let pictures: Buffer[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rescue-assembler-"));
  clipPath = makeVp8Clip(dir, 30, 2);
  clip = readIvf(clipPath).frames;
  pictures = decodeFrames(clipPath, W, H);
  expect(clip.length).toBe(60);
  expect(clip.map((f, i) => (f.keyframe ? i : -1)).filter((i) => i >= 0)).toEqual([0, 30]);
  // ffmpeg makes and decodes the clip: slow on a busy machine.
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** RTP packets of `frames` as a browser sends them; with `padding`, a padding-only packet after each frame (as Chromium's bandwidth probes). */
function toRtp(frames: IvfFrame[], padding: boolean): RtpPacket[] {
  let seq = 65_500; // wraps on the way
  const packets: RtpPacket[] = [];
  frames.forEach((frame, i) => {
    const timestamp = 1000 + i * 3000;
    const payloads = packetizeVp8(frame.data, 300);
    payloads.forEach((payload, j) => {
      packets.push(new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: seq++ & 0xffff, timestamp, marker: j === payloads.length - 1, ssrc: 1 }), payload));
    });
    if (padding) packets.push(new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: seq++ & 0xffff, timestamp, marker: false, ssrc: 1, padding: true }), Buffer.alloc(0)));
  });
  return packets;
}

/** Packets through the jitter buffer (which reports the gaps) into the assembler. */
function assemble(packets: RtpPacket[]): { frames: AssembledFrame[]; keyframeRequests: string[] } {
  const frames: AssembledFrame[] = [];
  const keyframeRequests: string[] = [];
  const assembler = new FrameAssembler("VP8", { frame: (f) => frames.push(f), needKeyframe: (why) => keyframeRequests.push(why) });
  const jitter = new JitterBuffer({ clockRate: 90_000, latencyMs: 200 }, { packet: (rtp) => assembler.packet(rtp), loss: () => assembler.lost() });
  for (const rtp of packets) jitter.input(rtp);
  jitter.flush();
  return { frames, keyframeRequests };
}

/** The frames as one IVF stream, decoded by ffmpeg: one picture each (evenly spaced, so none is repeated to fill a gap). */
function decodeAssembled(frames: AssembledFrame[], name: string): Buffer[] {
  const path = join(dir, name);
  const parts = [ivfFileHeader({ fourcc: "VP80", width: 0, height: 0, timebaseDen: 90_000 })];
  frames.forEach((f, i) => parts.push(ivfFrameHeader(f.data.length, i * 3000), f.data));
  writeFileSync(path, Buffer.concat(parts));
  return decodeFrames(path, W, H);
}

const meanDiff = (a: Buffer, b: Buffer): number => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
};

describe("FrameAssembler", () => {
  it("skips padding-only packets: every frame comes out whole and decodes to the clip's picture", () => {
    const { frames, keyframeRequests } = assemble(toRtp(clip, true));
    expect(frames.map((f) => f.data.equals(clip[frames.indexOf(f)]!.data))).toEqual(clip.map(() => true));
    expect(frames.map((f) => f.keyframe)).toEqual(clip.map((f) => f.keyframe));
    expect(keyframeRequests).toEqual([]);
    const decoded = decodeAssembled(frames, "padded.ivf");
    expect(decoded.length).toBe(60);
    decoded.forEach((picture, i) => expect(meanDiff(picture, pictures[i]!), `frame ${i}`).toBe(0));
  });

  it("after a lost packet hands on nothing until the next keyframe, and asks for one", () => {
    const packets = toRtp(clip, true);
    // One packet from the middle of frame 10 (a delta frame) never arrives.
    const first10 = packets.findIndex((p) => p.header.timestamp === 1000 + 10 * 3000);
    const lost = packets.splice(first10 + 1, 1)[0]!;
    expect(lost.payload.length).toBeGreaterThan(0);
    const { frames, keyframeRequests } = assemble(packets);
    const indices = frames.map((f) => (f.timestamp - 1000) / 3000);
    expect(indices).toEqual([...Array(10).keys(), ...Array.from({ length: 30 }, (_, i) => 30 + i)]);
    expect(keyframeRequests[0]).toBe("loss");
    // Every picture handed on is the clip's own: nothing decoded without its reference.
    const decoded = decodeAssembled(frames, "lossy.ivf");
    expect(decoded.length).toBe(indices.length);
    decoded.forEach((picture, i) => expect(meanDiff(picture, pictures[indices[i]!]!), `frame ${indices[i]}`).toBe(0));
  });

  it("a frame whose first packet is lost is dropped, even when the gap also held whole frames", () => {
    const packets = toRtp(clip, false);
    // Frame 5's last packet to frame 7's first packet go missing: frame 6 is lost whole, 7 is cut.
    const start = packets.findIndex((p) => p.header.timestamp === 1000 + 5 * 3000 && p.header.marker);
    const end = packets.findIndex((p) => p.header.timestamp === 1000 + 7 * 3000);
    packets.splice(start, end - start + 1);
    const { frames } = assemble(packets);
    expect(frames.map((f) => (f.timestamp - 1000) / 3000)).toEqual([0, 1, 2, 3, 4, ...Array.from({ length: 30 }, (_, i) => 30 + i)]);
  });
});

describe("snapshot of a stream joined mid-GOP", () => {
  it("starts from the next keyframe and saves the newest picture the camera showed", async () => {
    const tap = new VideoTap(() => "vp8", () => undefined);
    // Joined at frame 10: the deltas before the keyframe at 30 cannot be decoded and are not kept.
    clip.slice(10).forEach((f, i) => tap.publish({ data: f.data, keyframe: f.keyframe, timestamp: 1000 + (10 + i) * 3000 }));
    expect(tap.currentGop()[0]).toMatchObject({ keyframe: true, timestamp: 1000 + 30 * 3000 });
    const shot = await takeSnapshot(tap, join(dir, "snapshots", "mid-gop.png"));
    expect(shot).toMatchObject({ width: 640, height: 480 });
    expect(meanDiff(decodeFrames(shot.path, W, H)[0]!, pictures[59]!)).toBeLessThan(3);
  });
});
