import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Session, SessionStats, type Permission } from "../../src/protocol/index.js";
import type { CliResult } from "../helpers/cli.js";
import { joinAndStart, lanTechnician, type LanTechnician } from "../helpers/lan.js";
import { netnsUnavailable } from "../helpers/netns.mjs";
import { launchChromium, type Chromium } from "../helpers/chromium.js";
import { packetTimes } from "../media/helpers.js";

/**
 * A Chrome customer's pause and a technician's hold in the recording. The page stops sending with
 * `replaceTrack(null)`; Chrome's audio RTP timestamps then go on from where they stopped, while its
 * video timestamps follow the capture clock. Both tracks must jump over the stretch, the manifest
 * must list it as a gap without audio, and the audio after it must stay with the picture.
 */
const ALL: Permission[] = ["lens", "private", "pin", "chat", "record"];
const unavailable = netnsUnavailable();

type Segment = { path: string; manifest: { audio: { gaps: { fromMs: number; toMs: number; filled?: boolean }[] } } | null };

/** Steps longer than `minSec` between consecutive times: [before, after] pairs, in order. */
function jumps(times: number[], minSec: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! > minSec) out.push([times[i - 1]!, times[i]!]);
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(unavailable !== undefined)("a Chrome customer's pause and a hold in the recording", { timeout: 180_000 }, () => {
  let lan: LanTechnician | undefined;
  let browser: Chromium | undefined;
  let context: BrowserContext;
  let cli: (args: string[], stdin?: string) => Promise<CliResult>;

  beforeAll(async () => {
    lan = await lanTechnician("browser-pause-sync", ALL);
    ({ cli } = lan);
    browser = await launchChromium(lan.ns, lan.server.url, { viewport: { width: 390, height: 844 }, mobile: true });
    context = browser.context;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await lan?.close();
  });

  it("both tracks jump over the customer's pause and the hold, the manifest lists both as gaps without audio, and the audio after them stays with the picture", async () => {
    const created = await cli(["session", "new", "--lens", "--pin", "--name", "Paused customer", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const session = Session.parse(created.json());
    const page = await context.newPage();
    let ended = false;
    try {
      await joinAndStart(page, { cli }, session);
      await page.waitForSelector('body[data-peer="connected"]', { timeout: 20_000 });
      const until = Date.now() + 30_000;
      for (;;) {
        const s = SessionStats.parse((await cli(["session", "stats", session.id, "--json"])).json());
        if (s.video.frames >= 60 && s.audio.packets >= 100) break;
        if (Date.now() > until) throw new Error(`no media: ${JSON.stringify(s)}`);
        await sleep(300);
      }
      await sleep(1_000);

      // The customer's own Pause for about 5 s.
      await page.click("#pause");
      await page.waitForSelector('body[data-state="paused"]');
      let t = Date.now();
      await sleep(5_000);
      await page.click("#pause");
      await page.waitForSelector('body[data-state="live"]');
      const pauseMs = Date.now() - t;
      await sleep(4_000);

      // The technician's hold for about 6 s.
      t = Date.now();
      expect((await cli(["session", "hold", session.id, "--json"])).code).toBe(0);
      await sleep(6_000);
      expect((await cli(["session", "resume", session.id, "--json"])).code).toBe(0);
      const holdMs = Date.now() - t;
      await sleep(5_000);
      expect((await cli(["session", "end", session.id, "--json"])).code).toBe(0);
      ended = true;

      let segments: Segment[] = [];
      await expect
        .poll(
          async () => {
            const shown = await cli(["recordings", "show", session.id, "--json"]);
            segments = shown.code === 0 ? shown.json<Segment[]>() : [];
            return segments.length > 0 && segments.every((s) => s.manifest !== null);
          },
          { timeout: 30_000, interval: 500 },
        )
        .toBe(true);
      expect(segments).toHaveLength(1);
      const path = segments[0]!.path;
      const video = packetTimes(path, "v");
      const audio = packetTimes(path, "a");
      const videoJumps = jumps(video, 1.5);
      const audioJumps = jumps(audio, 1.5);
      const gaps = segments[0]!.manifest!.audio.gaps.filter((g) => g.filled === false);
      const seen = JSON.stringify({ pauseMs, holdMs, videoJumps, audioJumps, gaps, videoLast: video.at(-1), audioLast: audio.at(-1) });
      console.log(`pause and hold in a Chrome recording: ${seen}`);

      // The picture stops for each (the premise of the rest).
      expect(videoJumps, seen).toHaveLength(2);
      videoJumps.forEach(([from, to], i) => expect(to - from, seen).toBeGreaterThan([pauseMs, holdMs][i]! / 1000 - 1.5));
      // The audio jumps over the same stretches, at the same places on the recording's clock.
      expect(audioJumps, seen).toHaveLength(2);
      for (let i = 0; i < 2; i++) {
        expect(Math.abs(audioJumps[i]![0] - videoJumps[i]![0]), seen).toBeLessThan(0.5);
        expect(Math.abs(audioJumps[i]![1] - videoJumps[i]![1]), seen).toBeLessThan(0.5);
      }
      // Both tracks end together: nothing after the hold runs ahead of the picture.
      expect(Math.abs(audio.at(-1)! - video.at(-1)!), seen).toBeLessThan(0.5);
      // The manifest lists both stretches as gaps where the file has no audio.
      expect(gaps, seen).toHaveLength(2);
      for (let i = 0; i < 2; i++) {
        expect(Math.abs(gaps[i]!.fromMs / 1000 - audioJumps[i]![0]), seen).toBeLessThan(0.3);
        expect(Math.abs(gaps[i]!.toMs / 1000 - audioJumps[i]![1]), seen).toBeLessThan(0.3);
      }
      const shown = await cli(["recordings", "show", session.id]);
      expect(shown.stdout).toMatch(/without video or audio/);
    } finally {
      if (!ended) await cli(["session", "end", session.id]);
      await page.close();
    }
  });
});
