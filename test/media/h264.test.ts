import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { h264DecoderConfig } from "../../daemon/session/media-h264.js";
import { readH264 } from "../../src/media/h264.js";
import { connectedPair, ffprobe, frames, tempDir } from "./helpers.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function makeH264(dir: string): string {
  const path = join(dir, "clip.h264");
  execFileSync("ffmpeg", [
    "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", "testsrc=size=640x480:rate=30:duration=4",
    "-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", "baseline", "-tune", "zerolatency", "-g", "60", "-b:v", "500k",
    "-bsf:v", "h264_metadata=aud=insert", "-f", "h264", path,
  ]);
  return path;
}

describe("H.264 when the customer offers nothing else", () => {
  it("reads access units and builds the decoder configuration from SPS and PPS", () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const units = readH264(makeH264(tmp.dir));
    expect(units).toHaveLength(120);
    expect(units.flatMap((u, i) => (u.keyframe ? [i] : []))).toEqual([0, 60]);
    const annexB = Buffer.concat(units[0]!.nals.flatMap((n) => [Buffer.from([0, 0, 0, 1]), Buffer.from(n)]));
    const config = h264DecoderConfig(annexB)!;
    expect(config).toMatchObject({ width: 640, height: 480 });
    expect(config.codec).toMatch(/^avc1\.42/);
  });

  it("negotiates H.264 and records it to Matroska", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const videoPath = makeH264(tmp.dir);
    const { customer, technician } = await connectedPair({}, { videoPath });
    cleanups.push(() => customer.close(), async () => void (await technician.close()));
    expect(technician.stats().video.codec).toBe("h264");
    const { recording } = technician.startMedia({ recordPath: join(tmp.dir, "h264.webm") });
    const recordPath = join(tmp.dir, "h264.mkv");
    expect(recording).toBe(recordPath);
    await customer.play(3);
    expect([technician.stats().video.width, technician.stats().video.height]).toEqual([640, 480]);
    const closed = await technician.close();
    expect(closed.recordingError).toBeNull();

    const probe = await ffprobe(recordPath);
    expect(probe.format.format_name).toContain("matroska");
    const video = probe.streams.find((s) => s.codec_type === "video")!;
    expect(video.codec_name).toBe("h264");
    expect([video.width, video.height]).toEqual([640, 480]);
    expect(frames(probe, "video")).toBeGreaterThanOrEqual(Math.ceil(customer.sentVideoFrames * 0.98));
    expect(probe.streams.find((s) => s.codec_type === "audio")?.codec_name).toBe("opus");
  });
});
