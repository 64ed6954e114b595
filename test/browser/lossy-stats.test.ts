import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Session, SessionStats, type Permission } from "../../src/protocol/index.js";
import type { CliResult } from "../helpers/cli.js";
import { joinAndStart, lanTechnician, type LanTechnician } from "../helpers/lan.js";
import { lossUnavailable, netnsUnavailable } from "../helpers/netns.mjs";
import { launchChromium, recordPeerConnections, type Chromium } from "../helpers/chromium.js";

/**
 * `session stats` on a lossy link with Chrome as the customer. The answer has no RTX payload type,
 * so Chrome resends what the daemon NACKs on the video's own SSRC and sequence numbers. The loss
 * the kernel made (an nft counter in the customer's namespace) must show in the stats as packets
 * lost or recovered, as Chrome itself counts what it resent.
 */
const ALL: Permission[] = ["lens", "private", "pin", "record"];
const unavailable = netnsUnavailable() ?? lossUnavailable();
const PERCENT = 7;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs in the page: Chrome's own count of video RTP packets sent and resent so far. */
async function videoSent(): Promise<{ packetsSent: number; retransmitted: number }> {
  const pcs = (window as any).__pcs as RTCPeerConnection[];
  const out = { packetsSent: 0, retransmitted: 0 };
  const pc = pcs[pcs.length - 1];
  if (!pc) return out;
  (await pc.getStats()).forEach((r: any) => {
    if (r.type === "outbound-rtp" && r.kind === "video") {
      out.packetsSent += r.packetsSent ?? 0;
      out.retransmitted += r.retransmittedPacketsSent ?? 0;
    }
  });
  return out;
}

describe.skipIf(unavailable !== undefined)("session stats on a lossy link with a Chrome customer", { timeout: 180_000 }, () => {
  let lan: LanTechnician | undefined;
  let browser: Chromium | undefined;
  let context: BrowserContext;
  let cli: (args: string[], stdin?: string) => Promise<CliResult>;

  beforeAll(async () => {
    lan = await lanTechnician("browser-lossy-stats", ALL);
    ({ cli } = lan);
    browser = await launchChromium(lan.ns, lan.server.url, { viewport: { width: 390, height: 844 }, mobile: true });
    context = browser.context;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await lan?.close();
  });

  it(`video packets lost + recovered follow what the kernel dropped (${PERCENT}% of UDP)`, async () => {
    const created = await cli(["session", "new", "--lens", "--pin", "--name", "Lossy customer", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const session = Session.parse(created.json());
    const page = await context.newPage();
    await recordPeerConnections(page);
    const stats = async () => SessionStats.parse((await cli(["session", "stats", session.id, "--json"])).json());
    try {
      await joinAndStart(page, { cli }, session);
      await page.waitForSelector('body[data-peer="connected"]', { timeout: 20_000 });
      const until = Date.now() + 30_000;
      while ((await stats()).video.frames < 30) {
        if (Date.now() > until) throw new Error("no video");
        await sleep(300);
      }

      // PERCENT of the UDP leaving the customer's namespace is dropped on the way (counted by nft).
      lan!.ns.setLoss(PERCENT);
      const before = await stats();
      const sentBefore = await page.evaluate(videoSent);
      await sleep(20_000);
      const after = await stats();
      const sentAfter = await page.evaluate(videoSent);
      const { packets: udpOut, dropped } = lan!.ns.lossCounts();
      lan!.ns.setLoss(0);
      const rate = dropped / udpOut;
      const lost = after.video.packetsLost - before.video.packetsLost;
      const recovered = after.video.packetsRecovered - before.video.packetsRecovered;
      const sent = sentAfter.packetsSent - sentBefore.packetsSent;
      const resent = sentAfter.retransmitted - sentBefore.retransmitted;
      const figures = JSON.stringify({ udpOut, dropped, rate, videoSent: sent, chromeResent: resent, lost, recovered, before: before.video, after: after.video });
      console.log(`Chrome on a ${PERCENT}% lossy link: ${figures}`);

      // The premise: the kernel dropped about PERCENT of what left, and Chrome sent video through it.
      expect(dropped, figures).toBeGreaterThan(50);
      expect(sent, figures).toBeGreaterThan(500);
      // Video packets the network lost (the kernel's rate of what Chrome sent, first sends only)
      // are in the stats as lost or recovered: within generous bounds of that.
      const expected = (sent - resent) * rate;
      expect(lost + recovered, figures).toBeGreaterThan(expected * 0.5);
      expect(lost + recovered, figures).toBeLessThan(expected * 1.6 + 10);
      // Chrome answered the NACKs: most of them came back, and the stats say so; a packet counted
      // recovered is one Chrome says it sent again.
      expect(recovered, figures).toBeGreaterThan(expected * 0.4);
      expect(recovered, figures).toBeLessThanOrEqual(resent + 2);
      expect(after.video.frames, figures).toBeGreaterThan(before.video.frames + 100);
    } finally {
      await cli(["session", "end", session.id]);
      await page.close();
    }
  });
});
