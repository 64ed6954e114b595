import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { bundledClip } from "../../src/customer/assets.js";
import { SessionStats } from "../../src/protocol/index.js";
import { eventually } from "../helpers/processes.js";
import { connectedPair, ffprobe, frames, keyframeCount, makeVp8Clip, sleep, tempDir } from "./helpers.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe("session controls", () => {
  it("holds and resumes with a keyframe, talks back to the customer, and reports moving stats", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const { customer, technician } = await connectedPair();
    cleanups.push(() => customer.close(), async () => void (await technician.close()));
    const recordPath = join(tmp.dir, "controls.webm");

    const before = technician.stats();
    expect(before.video.frames).toBe(0);
    expect(before.video.codec).toBe("vp8");
    expect(before.audio.codec).toBe("opus");

    // Streaming before Start, mid-way between the clip's 2 s keyframes: Start's PLI brings one at once.
    void customer.play();
    await sleep(600);
    expect(technician.stats().video.frames).toBe(0);
    const firstFrame = new Promise<{ afterMs: number; width: number | null }>((resolve) =>
      technician.once("first-frame", resolve),
    );
    technician.startMedia({ recordPath });
    // A whole keyframe (its header gives the size), not the tail of a frame started before Start.
    expect(await firstFrame).toMatchObject({ width: 640, height: 480 });
    expect((await firstFrame).afterMs).toBeLessThan(300);
    expect(customer.keyframeRequests).toBeGreaterThan(0);
    const talking = technician.talk(bundledClip().audio);
    await sleep(1500);
    const live = technician.stats();
    // Exactly the local API's shape: parsing keeps every field and adds none.
    expect(SessionStats.parse(live)).toEqual(live);
    expect(live.video.frames).toBeGreaterThan(30);
    expect(live.video.fps).toBeGreaterThan(20);
    expect(live.video.bitrateKbps).toBeGreaterThan(100);
    expect([live.video.width, live.video.height]).toEqual([640, 480]);
    expect(live.audio.packets).toBeGreaterThan(50);
    expect(live.audio.sentPackets).toBeGreaterThan(50);
    expect(live.recording?.bytes).toBeGreaterThan(0);
    expect(customer.receivedAudioPackets).toBeGreaterThan(40);

    // Mute: the technician's packets stop going out.
    technician.mute();
    expect(technician.stats().audio.muted).toBe(true);
    const sentAtMute = technician.stats().audio.sentPackets;
    await sleep(400);
    expect(technician.stats().audio.sentPackets).toBe(sentAtMute);
    technician.unmute();
    await sleep(300);
    expect(technician.stats().audio.sentPackets).toBeGreaterThan(sentAtMute);

    // Hold: the customer pauses (the server relays on-hold); nothing more is recorded.
    technician.hold();
    customer.pause();
    await sleep(300);
    const held = technician.stats().video.frames;
    await sleep(700);
    expect(technician.stats().video.frames).toBe(held);
    expect(technician.stats().video.fps).toBe(0);

    // Resume: the technician asks for a keyframe, and frames flow again from one.
    const firstAfterResume = new Promise<{ afterMs: number }>((resolve) => technician.once("first-frame", resolve));
    const requestsBefore = customer.keyframeRequests;
    technician.resume();
    customer.resume();
    const resumed = await firstAfterResume;
    expect(resumed.afterMs).toBeLessThan(500);
    // The clip's own keyframe may arrive before the PLI does: judge what was asked, not the order.
    expect(await eventually(() => customer.keyframeRequests > requestsBefore, 3000)).toBe(true);
    await sleep(1000);
    expect(technician.stats().video.frames).toBeGreaterThan(held + 20);

    technician.mute();
    await technician.close();
    await talking;
    await customer.close();
    const probe = await ffprobe(recordPath);
    expect(frames(probe, "video")).toBeGreaterThanOrEqual(technician.stats().video.frames - 1);
  });
});

describe("keyframes for a crash-safe recording", () => {
  it("asks for a keyframe when the sender sends none for too long", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const videoPath = makeVp8Clip(tmp.dir, 300, 5);
    const { customer, technician } = await connectedPair({ keyframeIntervalMs: 1000 }, { videoPath });
    cleanups.push(() => customer.close(), async () => void (await technician.close()));
    const recordPath = join(tmp.dir, "sparse-keyframes.webm");
    technician.startMedia({ recordPath });
    await customer.play(4);
    await technician.close();
    // The clip itself has a single keyframe; the rest were asked for.
    expect(customer.keyframeRequests).toBeGreaterThanOrEqual(2);
    expect(await keyframeCount(recordPath)).toBeGreaterThanOrEqual(3);
  });
});
