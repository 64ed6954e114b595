import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ReceiverEstimatedMaxBitrate, RtcpPayloadSpecificFeedback, type RtcpPacket } from "werift";
import { afterEach, describe, expect, it } from "vitest";
import { IMPLEMENTED_FEEDBACK, rembPacket, restrictOffer } from "../../daemon/session/congestion-control.js";
import { TechnicianPeer } from "../../daemon/session/peer.js";
import type { Signal } from "../../src/protocol/index.js";
import { connectedPair } from "../media/helpers.js";

/** An offer Chromium 156 made for the Lens page's transceivers (video sendonly, audio sendrecv). */
const CHROME_OFFER = readFileSync(join(import.meta.dirname, "fixtures", "chrome-offer.sdp"), "utf8");

interface Section {
  kind: string;
  payloads: string[];
  lines: string[];
}

function sections(sdp: string): Section[] {
  const out: Section[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith("m=")) out.push({ kind: line.slice(2).split(" ")[0]!, payloads: line.split(" ").slice(3), lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

const values = (s: Section, prefix: string) => s.lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));

const peers: TechnicianPeer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

describe("congestion control in the answer", () => {
  it("answers Chrome's offer with only what the daemon implements: abs-send-time, NACK, PLI, REMB and a start bitrate", async () => {
    const peer = new TechnicianPeer({ iceServers: [], loopback: true });
    peers.push(peer);
    const answer = new Promise<string>((resolve) => peer.on("signal", (s: Signal) => s.kind === "answer" && resolve(s.sdp)));
    await peer.handleSignal({ kind: "offer", sdp: CHROME_OFFER });
    const sdp = await answer;
    const [video, audio] = sections(sdp);
    expect(video?.kind).toBe("video");
    expect(audio?.kind).toBe("audio");
    for (const s of [video!, audio!]) {
      // The one header extension the estimator reads; Chrome's own id is kept.
      expect(values(s, "a=extmap:")).toEqual(["2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"]);
      for (const fb of values(s, "a=rtcp-fb:")) expect(IMPLEMENTED_FEEDBACK).toContain(fb.split(" ").slice(1).join(" "));
    }
    const vp8 = video!.lines.find((l) => /^a=rtpmap:\d+ VP8\/90000/.test(l))!.split(" ")[0]!.split(":")[1]!;
    expect(values(video!, `a=rtcp-fb:${vp8} `).sort()).toEqual(["goog-remb", "nack", "nack pli"]);
    expect(values(video!, `a=fmtp:${vp8} `)).toEqual(["x-google-start-bitrate=1500;x-google-min-bitrate=300;x-google-max-bitrate=2500"]);
    expect(sdp).not.toMatch(/transport-cc|transport-wide-cc|ccm fir/);
  });

  it("restricts an offer's feedback and adds the bitrates, leaving everything else as it was", () => {
    const restricted = restrictOffer(CHROME_OFFER, { startKbps: 1000, minKbps: 200, maxKbps: 2000 });
    const before = CHROME_OFFER.split("\r\n");
    const after = restricted.split("\r\n");
    const removed = before.filter((l) => !after.includes(l));
    expect(removed.length).toBeGreaterThan(0);
    for (const line of removed) expect(line).toMatch(/^a=rtcp-fb:\d+ (transport-cc|ccm fir)$|^a=fmtp:\d+ (?!apt=)/);
    // VP8 has no fmtp line in Chrome's offer: it gets one; rtx keeps its apt line untouched.
    expect(after).toContain("a=fmtp:96 x-google-start-bitrate=1000;x-google-min-bitrate=200;x-google-max-bitrate=2000");
    expect(after).toContain("a=fmtp:97 apt=96");
    expect(after.filter((l) => l.startsWith("a=fmtp:111 "))).toEqual(before.filter((l) => l.startsWith("a=fmtp:111 ")));
    expect(restricted.endsWith("\r\n")).toBe(CHROME_OFFER.endsWith("\r\n"));
  });

  it("encodes REMB with an 18-bit mantissa, media SSRC 0 and the SSRCs it covers", () => {
    const packet = rembPacket(1_500_000, 0x1234, [111, 222]);
    const body = packet.feedback.serialize();
    const parsed = ReceiverEstimatedMaxBitrate.deSerialize(body);
    expect(parsed.uniqueID).toBe("REMB");
    expect(parsed.mediaSsrc).toBe(0);
    expect(parsed.senderSsrc).toBe(0x1234);
    expect(parsed.ssrcFeedbacks).toEqual([111, 222]);
    expect(Number(parsed.bitrate)).toBeGreaterThan(1_500_000 * 0.999);
    expect(Number(parsed.bitrate)).toBeLessThanOrEqual(1_500_000);
    const wire = packet.serialize();
    expect(wire[1]).toBe(206); // payload-specific feedback
    expect(wire[0]! & 0x1f).toBe(15); // FMT 15: application layer feedback
  });

  it("sends the customer REMB at least once a second while media flows", async () => {
    const { customer, technician } = await connectedPair();
    peers.push(technician);
    try {
      const rembs: number[] = [];
      const sender = customer.pc.getTransceivers().find((t) => t.kind === "video")!.sender;
      sender.onRtcp.subscribe((packet: RtcpPacket) => {
        if (packet instanceof RtcpPayloadSpecificFeedback && packet.feedback instanceof ReceiverEstimatedMaxBitrate) rembs.push(Number(packet.feedback.bitrate));
      });
      await customer.play(2.6);
      expect(rembs.length).toBeGreaterThanOrEqual(2);
      expect(Math.min(...rembs)).toBeGreaterThanOrEqual(300_000);
      expect(Math.max(...rembs)).toBeLessThanOrEqual(2_500_000);
    } finally {
      await customer.close();
    }
  }, 20_000);
});
