import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { connectedPair, ffprobe, frames, sleep, tempDir } from "./helpers.js";

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

  it("gives every socket media can arrive on a receive buffer larger than the system default, the customer's pair included", async () => {
    const { customer, technician } = await connectedPair();
    cleanups.push(() => customer.close(), async () => void (await technician.close()));
    type Socket = { getRecvBufferSize(): number; address(): { port: number } };
    const protocols = (technician.pc.iceTransports[0]!.connection as unknown as { protocols: Array<{ localCandidate?: { host: string; port: number }; transport: { socket: Socket } }> }).protocols;
    const cap = Number(readFileSync("/proc/sys/net/core/rmem_max", "utf8"));
    // Linux reports twice what was set (its bookkeeping share).
    const enlarged = 2 * Math.min(2 * 1024 * 1024, cap);
    expect(protocols.length).toBeGreaterThan(1);
    for (const protocol of protocols) expect(protocol.transport.socket.getRecvBufferSize()).toBe(enlarged);
    // The socket the customer sends to, whichever pair this side calls nominated.
    const remote = customer.pc.iceTransports[0]!.connection.nominated!.remoteCandidate;
    const target = protocols.find((p) => p.localCandidate?.host === remote.host && p.localCandidate.port === remote.port);
    expect(target).toBeDefined();
    expect(target!.transport.socket.getRecvBufferSize()).toBe(enlarged);
  });

  it("repairs a loss found just before the process stalls, whose retransmission comes behind the burst of overdue frames", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const { customer, technician } = await connectedPair();
    cleanups.push(() => customer.close(), async () => void (await technician.close()));
    const videoPt = technician.pc.getTransceivers().find((t) => t.kind === "video")!.codecs[0]!.payloadType;
    // Synthetic loss at the ICE layer: the next video datagram after `drop` is set never arrives. The
    // RTP header is in the clear under SRTP (payload type in byte 1).
    const onData = (technician.pc.iceTransports[0]!.connection as unknown as { onData: { execute: (...args: unknown[]) => void } }).onData;
    const execute = onData.execute.bind(onData);
    let drop = false;
    let dropped = 0;
    onData.execute = (...args: unknown[]) => {
      const data = args[0] as Buffer;
      if (drop && data.length > 12 && (data[0]! & 0xc0) === 0x80 && (data[1]! & 0x7f) === videoPt) {
        drop = false;
        dropped++;
        return;
      }
      execute(...args);
    };
    // The stall begins the moment the lost packet's NACK has left (the NACK is on its way to the
    // customer, who reads it only after the stall, once its timers have sent the overdue frames).
    const dtls = technician.pc.getTransceivers().find((t) => t.kind === "video")!.receiver.dtlsTransport as unknown as { sendRtcp: (packets: unknown[]) => Promise<unknown> };
    const sendRtcp = dtls.sendRtcp.bind(dtls);
    let stallOnNack = false;
    dtls.sendRtcp = (packets: unknown[]) => {
      const sent = sendRtcp(packets);
      const nack = packets.some((p) => (p as { feedback?: { lost?: unknown } }).feedback?.lost !== undefined);
      if (stallOnNack && nack) {
        stallOnNack = false;
        const until = performance.now() + 700;
        while (performance.now() < until);
      }
      return sent;
    };
    technician.startMedia({ recordPath: join(tmp.dir, "stall.webm") });
    // Three times: a video packet is lost, its NACK leaves, and this process (the daemon and the
    // customer alike) stalls for 700 ms.
    const stalls = (async () => {
      for (let i = 0; i < 3; i++) {
        await sleep(1200);
        stallOnNack = true;
        drop = true;
      }
    })();
    await customer.play(6);
    await stalls;
    await sleep(300);
    const loss = technician.lossCounters();
    await technician.close();

    expect(dropped).toBe(3);
    expect(stallOnNack).toBe(false);
    expect(loss.packetsRecovered).toBeGreaterThanOrEqual(3);
    expect(loss.packetsGivenUp).toBe(0);
    expect(loss.packetsTooLate).toBe(0);
    expect(loss.framesHeldBack).toBe(0);
    expect(loss.keyframeRequests.loss ?? 0).toBe(0);
    const recorded = frames(await ffprobe(join(tmp.dir, "stall.webm")), "video");
    expect(recorded).toBeGreaterThanOrEqual(customer.sentVideoFrames - 2);
  });
});
