import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUILD_TIMEOUT_MS, buildDist } from "../helpers/build.js";
import { ffprobe, frames, tempDir } from "./helpers.js";
import { killableReceiver } from "./killable-receiver.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});
beforeAll(buildDist, BUILD_TIMEOUT_MS);

describe("crash safety", () => {
  it("leaves a readable recording when the receiving process is killed with SIGKILL", { timeout: 90_000 }, async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const receiver = await killableReceiver((fn) => cleanups.push(fn));
    const recordPath = join(tmp.dir, "killed.webm");
    await receiver.record(recordPath);
    // Past the clip's second keyframe (every 2 s, 60 frames): the first cluster is closed on disk.
    await receiver.recorded(75);
    await receiver.kill();
    const sent = receiver.customer.sentVideoFrames;

    expect(existsSync(recordPath)).toBe(true);
    expect(statSync(recordPath).size).toBeGreaterThan(50_000);
    const probe = await ffprobe(recordPath);
    expect(probe.streams.find((s) => s.codec_type === "video")?.codec_name).toBe("vp8");
    // Clusters close on keyframes (every 2 s in the clip): at least the first complete cluster is readable.
    expect(frames(probe, "video")).toBeGreaterThanOrEqual(55);
    expect(frames(probe, "video")).toBeLessThanOrEqual(sent);
    expect(frames(probe, "audio")).toBeGreaterThan(0);
  });
});
