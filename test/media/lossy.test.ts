import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { connectedPair, ffprobe, frames, tempDir } from "./helpers.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe("loss recovery", () => {
  it("keeps at least 95% of frames when 5% of inbound packets are dropped (NACK retransmission)", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const { customer, technician } = await connectedPair({ inboundKeepPercent: 95 });
    cleanups.push(() => customer.close(), async () => void (await technician.close()));
    const recordPath = join(tmp.dir, "lossy.webm");
    technician.startMedia({ recordPath });
    await customer.play(6);
    const stats = technician.stats();
    await technician.close();

    const probe = await ffprobe(recordPath);
    const recorded = frames(probe, "video");
    // Loss really happened and was repaired by retransmission.
    expect(stats.video.packetsRecovered).toBeGreaterThan(0);
    expect(recorded).toBeGreaterThanOrEqual(Math.ceil(customer.sentVideoFrames * 0.95));
    expect(frames(probe, "audio")).toBeGreaterThan(customer.sentAudioPackets * 0.85);
  });
});
