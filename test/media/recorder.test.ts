import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Recorder } from "../../daemon/session/recorder.js";
import { writeManifest } from "../../daemon/session/recorder-manifest.js";
import { bundledClip } from "../../src/customer/assets.js";
import { readIvf } from "../../src/media/ivf.js";
import { readOggOpus } from "../../src/media/ogg-opus.js";
import { ffprobe, frames, sleep, tempDir } from "./helpers.js";

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((fn) => fn()));

const video = readIvf(bundledClip().video).frames;
const audio = readOggOpus(bundledClip().audio).packets;

/** Frames `from`..`to` of the clip with their two audio packets each, on the clip's own clocks, 5 ms apart. */
async function feedBoth(recorder: Recorder, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    recorder.addVideoFrame({ data: video[i]!.data, keyframe: video[i]!.keyframe, timestamp: i * 3000 });
    for (const k of [0, 1]) recorder.addAudioPacket(audio[i * 2 + k]!.data, (i * 2 + k) * 960);
    await sleep(5);
  }
}

/** The clip's first 20 audio packets alone, in real time: 400 ms before any video. */
async function audioAlone(recorder: Recorder): Promise<void> {
  for (let i = 0; i < 20; i++) {
    recorder.addAudioPacket(audio[i]!.data, i * 960);
    await sleep(20);
  }
}

describe("recorder", () => {
  it("writes a video-only file when no audio arrives", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const path = join(tmp.dir, "video-only.webm");
    const recorder = new Recorder({ path, videoCodec: "vp8", trackWaitMs: 100, batchMs: 20 });
    for (let i = 0; i < 60; i++) {
      recorder.addVideoFrame({ data: video[i]!.data, keyframe: video[i]!.keyframe, timestamp: 1000 + i * 3000 });
      await sleep(5);
    }
    expect(recorder.firstVideoWrittenAt).toBeGreaterThan(0);
    const summary = await recorder.finalise();
    expect(summary).toMatchObject({ videoFrames: 60, audioPackets: 0, width: 640, height: 480 });
    const probe = await ffprobe(path);
    expect(probe.streams.map((s) => s.codec_type)).toEqual(["video"]);
    expect(frames(probe, "video")).toBe(60);
  });

  it("does not hold video back when the microphone goes silent", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const path = join(tmp.dir, "silent-mic.webm");
    const recorder = new Recorder({ path, videoCodec: "vp8", audioStallMs: 150, batchMs: 20 });
    for (let i = 0; i < 120; i++) {
      const ts = (0xffff_0000 + i * 3000) >>> 0; // crosses the 32-bit wrap
      recorder.addVideoFrame({ data: video[i]!.data, keyframe: video[i]!.keyframe, timestamp: ts });
      if (i < 30) {
        for (const k of [0, 1]) recorder.addAudioPacket(audio[i * 2 + k]!.data, (i * 2 + k) * 960);
      }
      await sleep(5);
    }
    // Written before finalising, while audio is still missing: the file grows with video.
    await sleep(50);
    expect(recorder.bytes).toBeGreaterThan(100_000);
    const summary = await recorder.finalise();
    expect(summary.videoFrames).toBe(120);
    const probe = await ffprobe(path);
    expect(frames(probe, "video")).toBe(120);
    // The 60 packets sent, then 20 ms silence frames up to the last video frame: the track stays.
    expect(frames(probe, "audio")).toBeGreaterThan(60 + 120);
    expect(Number(probe.format.duration)).toBeCloseTo(4, 1);
    expect(summary.audioGaps).toHaveLength(1);
    expect(summary.audioGaps[0]!.fromMs).toBeCloseTo(1200, -2);
    expect(summary.audioGaps[0]!.toMs).toBeGreaterThan(3800);
  });

  it("records the audio that comes back after the sender muted it for a while", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const path = join(tmp.dir, "muted.webm");
    const recorder = new Recorder({ path, videoCodec: "vp8", audioStallMs: 150, batchMs: 20 });
    // Audio in frames 0-29 and 90-119: a second of no audio RTP at all in between, video all along.
    for (let i = 0; i < 120; i++) {
      recorder.addVideoFrame({ data: video[i]!.data, keyframe: video[i]!.keyframe, timestamp: i * 3000 });
      if (i < 30 || i >= 90) for (const k of [0, 1]) recorder.addAudioPacket(audio[i * 2 + k]!.data, (i * 2 + k) * 960);
      await sleep(10);
    }
    const summary = await recorder.finalise();
    expect(summary.audioPackets).toBe(120);
    const probe = await ffprobe(path);
    // Every packet sent is in the file, the silence between them too (60 sent + 60 sent + about 50 filled).
    expect(frames(probe, "audio")).toBeGreaterThanOrEqual(120 + 40);
    expect(summary.audioGaps).toHaveLength(1);
    const decoded = execFileSync("ffmpeg", ["-v", "error", "-i", path, "-vn", "-f", "s16le", "-ac", "1", "-ar", "48000", "pipe:1"], { maxBuffer: 1 << 26 });
    const level = (fromSec: number, toSec: number) => {
      let sum = 0;
      const from = Math.floor(fromSec * 48_000);
      const to = Math.floor(toSec * 48_000);
      for (let i = from; i < to; i++) sum += Math.abs(decoded.readInt16LE(i * 2));
      return sum / (to - from);
    };
    // The tone before, silence in the gap, the tone again after: not the silence of a closed track.
    const gap = summary.audioGaps[0]!;
    expect(level(0.1, 0.9)).toBeGreaterThan(1000);
    expect(level(gap.fromMs / 1000 + 0.1, gap.toMs / 1000 - 0.1)).toBeLessThan(50);
    expect(level(gap.toMs / 1000 + 0.1, gap.toMs / 1000 + 0.7)).toBeGreaterThan(1000);
  });

  it("keeps the audio track through a pause of both tracks (hold)", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const path = join(tmp.dir, "hold.webm");
    const recorder = new Recorder({ path, videoCodec: "vp8", audioStallMs: 150, batchMs: 20 });
    await feedBoth(recorder, 0, 30);
    await sleep(400);
    await feedBoth(recorder, 60, 90); // resumes on the clip's keyframe at frame 60
    await recorder.finalise();
    const probe = await ffprobe(path);
    expect(frames(probe, "video")).toBe(60);
    expect(frames(probe, "audio")).toBe(120);
  });

  it("when the sender offered video, audio waits for the first keyframe: a late keyframe (a browser after a reload) is still recorded", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const path = join(tmp.dir, "late-keyframe.webm");
    const recorder = new Recorder({ path, videoCodec: "vp8", expectVideo: true, trackWaitMs: 100, batchMs: 20 });
    // 400 ms of audio alone (four times the wait for a missing track), then video from a keyframe on.
    await audioAlone(recorder);
    for (let i = 0; i < 60; i++) {
      recorder.addVideoFrame({ data: video[i]!.data, keyframe: video[i]!.keyframe, timestamp: 1000 + i * 3000 });
      for (const k of [0, 1]) recorder.addAudioPacket(audio[20 + i * 2 + k]!.data, (20 + i * 2 + k) * 960);
      await sleep(5);
    }
    const summary = await recorder.finalise();
    const probe = await ffprobe(path);
    expect(probe.streams.map((s) => s.codec_type).sort()).toEqual(["audio", "video"]);
    expect(frames(probe, "video")).toBe(60);
    expect(summary.videoFrames).toBe(60);
  });

  it("counts only the video frames in the file: none when it was made without a video track", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const path = join(tmp.dir, "no-video-track.webm");
    const recorder = new Recorder({ path, videoCodec: "vp8", expectVideo: true, videoWaitMs: 100, batchMs: 20 });
    await audioAlone(recorder);
    for (let i = 0; i < 30; i++) recorder.addVideoFrame({ data: video[i]!.data, keyframe: video[i]!.keyframe, timestamp: i * 3000 });
    expect(recorder.videoFrames).toBe(0);
    const summary = await recorder.finalise();
    expect(summary.videoFrames).toBe(0);
    expect((await ffprobe(path)).streams.map((s) => s.codec_type)).toEqual(["audio"]);
  });

  it("lists a stretch in which no media came at all (a link outage) as an audio gap, where the file has no audio", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const path = join(tmp.dir, "outage.webm");
    const recorder = new Recorder({ path, videoCodec: "vp8", batchMs: 20 });
    // The sender kept its clock running through the outage: both tracks jump by 2 s of timestamps.
    await feedBoth(recorder, 0, 30);
    await feedBoth(recorder, 90, 120);
    const summary = await recorder.finalise();
    expect(summary.audioGaps).toEqual([{ fromMs: expect.closeTo(1200, -1), toMs: expect.closeTo(3600, -1), filled: false }]);
    // What the file holds: ffprobe's audio packets jump exactly where the manifest says.
    const pts = execFileSync("ffprobe", ["-v", "error", "-select_streams", "a", "-show_entries", "packet=pts_time", "-of", "csv=p=0", path], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map(Number);
    const holes = pts.slice(1).flatMap((t, i) => (t - pts[i]! > 0.5 ? [[pts[i]!, t]] : []));
    expect(holes).toHaveLength(1);
    expect(holes[0]![0]! * 1000 + 20).toBeCloseTo(summary.audioGaps[0]!.fromMs, -1);
    expect(holes[0]![1]! * 1000).toBeCloseTo(summary.audioGaps[0]!.toMs, -1);
    const { manifest } = await writeManifest(summary, { session: "s", technician: null, customerName: null, startedAt: new Date(), endedAt: new Date(), codecs: { video: "vp8", audio: "opus" } });
    expect(manifest.audio.gaps).toEqual(summary.audioGaps);
  });

  it("records no media that comes seconds late in a burst after an outage (a queue let go at once), but follows a sender whose clock stood still", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const path = join(tmp.dir, "late-burst.webm");
    const recorder = new Recorder({ path, videoCodec: "vp8", batchMs: 20 });
    const live = async (from: number, to: number, shiftFrames = 0) => {
      for (let i = from; i < to; i++) {
        recorder.addVideoFrame({ data: video[i]!.data, keyframe: video[i]!.keyframe, timestamp: (i - shiftFrames) * 3000 });
        for (const k of [0, 1]) recorder.addAudioPacket(audio[i * 2 + k]!.data, (i * 2 + k - 2 * shiftFrames) * 960);
        await sleep(33);
      }
    };
    await live(0, 30);
    // The outage: nothing for 5 s. Then what a queue held comes at once, 4-5 s late: frames 30-60.
    await sleep(5_000);
    for (let i = 30; i < 60; i++) {
      recorder.addVideoFrame({ data: video[i]!.data, keyframe: video[i]!.keyframe, timestamp: i * 3000 });
      for (const k of [0, 1]) recorder.addAudioPacket(audio[i * 2 + k]!.data, (i * 2 + k) * 960);
    }
    // Then live again, from the keyframe at frame 180 (its timestamps say 6 s: the clock ran on).
    await live(180, 210);
    const summary = await recorder.finalise();
    const times = execFileSync("ffprobe", ["-v", "error", "-select_streams", "v", "-show_entries", "packet=pts_time", "-of", "csv=p=0", path], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map(Number);
    // Only the live frames: 0-29, then 180-209; the outage stays a hole in the pictures and the audio.
    expect(times).toHaveLength(60);
    expect(times.filter((t) => t > 1.1 && t < 5.9)).toEqual([]);
    expect(summary.audioPackets).toBe(120);
    // (The clip's two audio packets per frame are 40 ms of audio: frame 30 is at 1.2 s of it, 180 at 7.2 s.)
    expect(summary.audioGaps).toEqual([{ fromMs: expect.closeTo(1200, -2), toMs: expect.closeTo(7200, -2), filled: false }]);

    // A sender whose clock stood still for a pause (its media 3 s behind from then on, at the live
    // pace): none of it is dropped, and it is placed where it arrived, after the pause.
    const path2 = join(tmp.dir, "clock-stood-still.webm");
    const again = new Recorder({ path: path2, videoCodec: "vp8", batchMs: 20 });
    const feed = async (from: number, to: number, timestampOf: (i: number) => number) => {
      for (let i = from; i < to; i++) {
        again.addVideoFrame({ data: video[i]!.data, keyframe: video[i]!.keyframe, timestamp: timestampOf(i) });
        await sleep(33);
      }
    };
    await feed(0, 60, (i) => i * 3000);
    await sleep(3_000);
    // Its timestamps go on from frame 60 as if no time had passed; frames 60-180 come at 30 a second.
    await feed(60, 180, (i) => i * 3000);
    const kept = (await again.finalise()).videoFrames;
    expect(kept).toBe(180);
    const times2 = execFileSync("ffprobe", ["-v", "error", "-select_streams", "v", "-show_entries", "packet=pts_time", "-of", "csv=p=0", path2], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map(Number)
      .sort((a, b) => a - b);
    // The pause is a hole of about 3 s in the pictures (at frame 60), not squeezed out.
    const step = times2[60]! - times2[59]!;
    expect(step).toBeGreaterThan(2.5);
    expect(step).toBeLessThan(4.5);
  });

  it("keeps audio with the picture after a pause in which the audio's clock stood still (a browser's replaceTrack(null)), and lists the pause as a gap without audio", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const path = join(tmp.dir, "audio-clock-stood-still.webm");
    const recorder = new Recorder({ path, videoCodec: "vp8", batchMs: 20 });
    // Video's timestamps follow the capture clock across the pause, audio's go on where they stopped.
    const t0 = performance.now();
    let vi = 0;
    let ai = 0;
    let vNext = 0;
    let aNext = 0;
    const feed = async (seconds: number) => {
      const end = performance.now() + seconds * 1000;
      while (performance.now() < end) {
        const now = (performance.now() - t0) / 1000;
        if (now >= vNext) {
          recorder.addVideoFrame({ data: video[vi]!.data, keyframe: video[vi]!.keyframe, timestamp: Math.round(now * 90_000) });
          vi++;
          vNext = now + 1 / 30;
        }
        for (; aNext <= now; aNext += 0.02) recorder.addAudioPacket(audio[ai]!.data, ai++ * 960);
        await sleep(10);
      }
    };
    await feed(2);
    const pauseFrom = (performance.now() - t0) / 1000;
    await sleep(3_000);
    const pauseSec = (performance.now() - t0) / 1000 - pauseFrom;
    vNext = aNext = (performance.now() - t0) / 1000;
    await feed(2);
    const summary = await recorder.finalise();
    const probe = (stream: string) =>
      execFileSync("ffprobe", ["-v", "error", "-select_streams", stream, "-show_entries", "packet=pts_time", "-of", "csv=p=0", path], { encoding: "utf8" })
        .split("\n")
        .filter(Boolean)
        .map(Number)
        .sort((a, b) => a - b);
    const v = probe("v");
    const a = probe("a");
    expect(v).toHaveLength(vi);
    expect(a).toHaveLength(ai);
    const biggestStep = (t: number[]) => {
      let at = 1;
      for (let i = 1; i < t.length; i++) if (t[i]! - t[i - 1]! > t[at]! - t[at - 1]!) at = i;
      return [t[at - 1]!, t[at]!] as const;
    };
    const [vFrom, vTo] = biggestStep(v);
    const [aFrom, aTo] = biggestStep(a);
    // Both tracks jump over the pause, at the same places.
    expect(aTo - aFrom).toBeGreaterThan(pauseSec - 0.5);
    expect(Math.abs(aFrom - vFrom)).toBeLessThan(0.3);
    expect(Math.abs(aTo - vTo)).toBeLessThan(0.3);
    expect(Math.abs(a.at(-1)! - v.at(-1)!)).toBeLessThan(0.3);
    expect(summary.audioGaps).toEqual([{ fromMs: expect.closeTo(aFrom * 1000 + 20, -2), toMs: expect.closeTo(aTo * 1000, -2), filled: false }]);
  });

  it("starts on a keyframe and fails cleanly when nothing was recorded", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const recorder = new Recorder({ path: join(tmp.dir, "empty.webm"), videoCodec: "vp8" });
    recorder.addVideoFrame({ data: video[1]!.data, keyframe: false, timestamp: 0 });
    expect(recorder.videoFrames).toBe(0);
    await expect(recorder.finalise()).rejects.toThrow(/nothing was recorded/);
    // An empty file would be listed as a recording that no player can open.
    expect(existsSync(join(tmp.dir, "empty.webm"))).toBe(false);
  });

  it("describes the sizes really recorded: the header has the first keyframe's, the manifest every run", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    // A sender that starts small and steps up, as Chrome does while its send rate ramps.
    const clip = (w: number, h: number) => {
      const file = join(tmp.dir, `${w}x${h}.ivf`);
      execFileSync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", `testsrc=size=${w}x${h}:rate=30:duration=1`, "-c:v", "libvpx", "-g", "300", "-deadline", "realtime", "-f", "ivf", file]);
      return readIvf(file).frames;
    };
    const small = clip(320, 240);
    const large = clip(640, 480);
    const path = join(tmp.dir, "sizes.webm");
    const recorder = new Recorder({ path, videoCodec: "vp8", trackWaitMs: 50, batchMs: 20 });
    const frames = [...small, ...large];
    for (let i = 0; i < frames.length; i++) {
      recorder.addVideoFrame({ data: frames[i]!.data, keyframe: frames[i]!.keyframe, timestamp: i * 3000 });
      await sleep(2);
    }
    const summary = await recorder.finalise();
    expect(summary).toMatchObject({ width: 320, height: 240, videoFrames: small.length + large.length });
    expect(summary.sizes).toEqual([
      { width: 320, height: 240, frames: small.length, fromMs: 0 },
      { width: 640, height: 480, frames: large.length, fromMs: Math.round((small.length * 1000) / 30) },
    ]);
    const probe = await ffprobe(path);
    expect(probe.streams[0]).toMatchObject({ width: 320, height: 240 });
    const written = await writeManifest(summary, {
      session: "S1", technician: null, customerName: null, startedAt: new Date(), endedAt: new Date(), codecs: { video: "vp8", audio: null },
    });
    const manifest = JSON.parse(readFileSync(written.path, "utf8"));
    expect(manifest).toMatchObject({ width: 320, height: 240, video: { sizes: summary.sizes } });
  });
});
