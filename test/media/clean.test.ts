import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { connectedPair, ffprobe, frames, tempDir } from "./helpers.js";
import { sha256File } from "../../daemon/session/recorder-manifest.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe("customer -> technician over loopback", () => {
  it("records every streamed frame to a WebM with VP8 and Opus", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const { customer, technician } = await connectedPair();
    cleanups.push(() => customer.close(), async () => void (await technician.close()));
    const recordPath = join(tmp.dir, "session.webm");
    const firstFrame = new Promise((resolve) => technician.once("first-frame", resolve));
    technician.startMedia({ recordPath, manifest: { session: "S1", technician: "tech@example.com", customerName: "Ann" } });
    const streamSec = 6;
    await customer.play(streamSec);
    await firstFrame;
    expect(technician.firstFrameWrittenMs).toBeGreaterThan(0);
    expect(technician.firstFrameWrittenMs).toBeLessThan(500);
    const closed = await technician.close("ended");
    await customer.close();

    expect(closed.recordingError).toBeNull();
    // 30 fps and 50 packets/s of real-time streaming.
    expect(customer.sentVideoFrames).toBeGreaterThanOrEqual(streamSec * 30 - 2);
    expect(customer.sentAudioPackets).toBeGreaterThanOrEqual(streamSec * 50 - 2);
    expect(customer.receiverReports).toBeGreaterThan(0);
    const probe = await ffprobe(recordPath);
    const video = probe.streams.find((s) => s.codec_type === "video")!;
    expect(video.codec_name).toBe("vp8");
    expect([video.width, video.height]).toEqual([640, 480]);
    expect(probe.streams.find((s) => s.codec_type === "audio")?.codec_name).toBe("opus");
    expect(frames(probe, "video")).toBeGreaterThanOrEqual(Math.ceil(customer.sentVideoFrames * 0.98));
    expect(frames(probe, "audio")).toBeGreaterThanOrEqual(Math.ceil(customer.sentAudioPackets * 0.98));
    expect(Math.abs(Number(probe.format.duration) - streamSec) / streamSec).toBeLessThan(0.05);
    // The customer starts both tracks together: so must the recording.
    const start = (type: string): number => Number(probe.streams.find((s) => s.codec_type === type)?.start_time);
    expect(Math.abs(start("video") - start("audio"))).toBeLessThan(0.04);

    const manifest = JSON.parse(readFileSync(closed.manifestPath!, "utf8"));
    expect(manifest).toMatchObject({ session: "S1", technician: "tech@example.com", customerName: "Ann", file: "session.webm" });
    expect(manifest.codecs).toEqual({ video: "vp8", audio: "opus" });
    expect(manifest.sha256).toBe(await sha256File(recordPath));
  });
});
