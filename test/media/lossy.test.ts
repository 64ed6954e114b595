import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { readFileSync } from "node:fs";
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
    const loss = technician.lossCounters();
    await technician.close();

    const probe = await ffprobe(recordPath);
    const recorded = frames(probe, "video");
    // Loss really happened and was repaired by retransmission.
    expect(stats.video.packetsRecovered).toBeGreaterThan(0);
    // The daemon's own NACKs asked for them (werift's NackHandler is silenced), and the customer answered.
    expect(loss.nacksSent).toBeGreaterThan(0);
    expect(loss.nackedSequenceNumbers).toBeGreaterThanOrEqual(loss.packetsRecovered);
    const videoSender = customer.pc.getTransceivers().find((t) => t.kind === "video")!.sender;
    expect(videoSender.retransmittedPacketsSent).toBeGreaterThanOrEqual(loss.packetsRecovered);
    expect(recorded).toBeGreaterThanOrEqual(Math.ceil(customer.sentVideoFrames * 0.95));
    expect(frames(probe, "audio")).toBeGreaterThan(customer.sentAudioPackets * 0.85);
  });

  it("gives the media socket a receive buffer larger than the system default, within the kernel's cap", async () => {
    const { customer, technician } = await connectedPair();
    cleanups.push(() => customer.close(), async () => void (await technician.close()));
    const pair = technician.pc.iceTransports[0]!.connection.nominated!;
    const socket = (pair.protocol as unknown as { transport: { socket: { getRecvBufferSize(): number } } }).transport.socket;
    const cap = Number(readFileSync("/proc/sys/net/core/rmem_max", "utf8"));
    // Linux reports twice what was set (its bookkeeping share).
    expect(socket.getRecvBufferSize()).toBe(2 * Math.min(2 * 1024 * 1024, cap));
  });
});
