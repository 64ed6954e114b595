import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Session, SessionStats, type Permission } from "../../src/protocol/index.js";
import type { RunningServer } from "../../src/server/index.js";
import type { CliResult } from "../helpers/cli.js";
import { joinAndStart, lanTechnician, type LanTechnician } from "../helpers/lan.js";
import { netnsUnavailable, type NetNs } from "../helpers/netns.mjs";
import { launchChromium, type Chromium } from "../helpers/chromium.js";

/**
 * The whole Lens path with every real part: Chromium (inside a network namespace, since it
 * gathers no loopback candidates) -> the server on the namespace's veth peer -> a real rescued,
 * started by the CLI for a temporary RESCUE_HOME, which answers, records, and is driven by the
 * CLI; ffprobe judges the recording. The veth is named so that werift skips it on its own: the
 * daemon reaches the browser only through RESCUE_ICE_HOST_ADDRESSES.
 */
const ALL: Permission[] = ["lens", "private", "pin", "chat", "record"];
const unavailable = netnsUnavailable();

interface Probe {
  streams: { codec_type: string; codec_name: string; nb_read_frames?: string }[];
}

describe.skipIf(unavailable !== undefined)("Chromium -> server -> rescued, driven by the CLI", () => {
  let ns: NetNs;
  let server: RunningServer;
  let lan: LanTechnician | undefined;
  let browser: Chromium | undefined;
  let context: BrowserContext;
  let home: string;
  let cli: (args: string[], stdin?: string) => Promise<CliResult>;

  beforeAll(async () => {
    lan = await lanTechnician("browser-daemon", ALL);
    ({ ns, server, home, cli } = lan);
    browser = await launchChromium(ns, server.url, { viewport: { width: 390, height: 844 }, mobile: true });
    context = browser.context;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await lan?.close();
  });

  it("PIN entry -> EULA -> rescue session start -> the daemon records VP8 and Opus that ffprobe reads", async () => {
    const created = await cli(["session", "new", "--lens", "--pin", "--name", "Browser customer", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const session = Session.parse(created.json());

    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    try {
      const { recording } = await joinAndStart(page, { cli }, session);
      expect(recording).toEqual(expect.any(String));
      await page.waitForSelector('body[data-state="live"]', { timeout: 15_000 });
      await page.waitForSelector('body[data-peer="connected"]', { timeout: 15_000 });

      // Frames arrive at the daemon: its stats say so before the session ends.
      let stats = SessionStats.parse((await cli(["session", "stats", session.id, "--json"])).json());
      const until = Date.now() + 15_000;
      while (stats.video.frames < 60 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 500));
        stats = SessionStats.parse((await cli(["session", "stats", session.id, "--json"])).json());
      }
      expect(stats.video.codec?.toLowerCase()).toContain("vp8");
      expect(stats.video.frames).toBeGreaterThanOrEqual(60);
      expect(stats.audio.packets).toBeGreaterThan(0);

      // The customer's own pause reaches the technician's daemon as a session field.
      const pausedNow = async (want: boolean) => {
        const deadline = Date.now() + 10_000;
        for (;;) {
          const s = (await cli(["session", "list", "--json"])).json<Session[]>().find((x) => x.id === session.id);
          if (s?.customer?.paused === want || Date.now() > deadline) return s?.customer?.paused;
          await new Promise((r) => setTimeout(r, 200));
        }
      };
      await page.click("#pause");
      await page.waitForSelector('body[data-state="paused"]');
      expect(await pausedNow(true)).toBe(true);
      await page.click("#pause");
      await page.waitForSelector('body[data-state="live"]');
      expect(await pausedNow(false)).toBe(false);

      const ended = await cli(["session", "end", session.id, "--json"]);
      expect(ended.code, ended.stderr).toBe(0);
      await page.waitForSelector('body[data-state="ended"]', { timeout: 10_000 });

      // The recording is finalised once the session has ended; the recordings list shows it.
      let listed: { session: string; path: string; bytes: number }[] = [];
      const done = Date.now() + 10_000;
      while (!listed.some((r) => r.session === session.id && r.bytes > 0) && Date.now() < done) {
        await new Promise((r) => setTimeout(r, 300));
        listed = (await cli(["recordings", "list", "--json"])).json();
      }
      expect(listed.find((r) => r.session === session.id)?.path).toBe(recording);
      expect(existsSync(recording!)).toBe(true);
      const probe = JSON.parse(
        execFileSync("ffprobe", ["-v", "error", "-count_frames", "-show_entries", "stream=codec_type,codec_name,nb_read_frames", "-of", "json", recording!]).toString(),
      ) as Probe;
      const video = probe.streams.find((s) => s.codec_type === "video");
      const audio = probe.streams.find((s) => s.codec_type === "audio");
      expect(video?.codec_name).toBe("vp8");
      expect(audio?.codec_name).toBe("opus");
      expect(Number(video?.nb_read_frames)).toBeGreaterThanOrEqual(60);
      expect(Number(audio?.nb_read_frames)).toBeGreaterThan(0);
      console.log(`browser -> rescued: ${video?.nb_read_frames} VP8 frames, ${audio?.nb_read_frames} Opus frames in ${recording}`);

      const log = (await cli(["session", "log", session.id, "--json"])).json<{ event: string }[]>().map((e) => e.event);
      expect(log).toEqual(
        expect.arrayContaining(["customer-connected", "eula-accepted", "started", "media-connected", "recording-started", "customer-paused", "customer-resumed", "closed"]),
      );
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it("nothing reaches the technician's daemon before `session start`: no audio packet, no video frame while the customer waits", async () => {
    const created = await cli(["session", "new", "--lens", "--pin", "--name", "Early customer", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const session = Session.parse(created.json());
    const stats = async () => SessionStats.parse((await cli(["session", "stats", session.id, "--json"])).json());

    const page = await context.newPage();
    try {
      await page.goto(session.links!.desktop);
      await page.fill("#name", "Early");
      await page.click("button[type=submit]");
      await page.waitForSelector('body[data-state="eula"]', { timeout: 10_000 });
      await page.click("#accept");
      const waiting = await cli(["session", "wait", session.id, "--status", "waiting", "--timeout", "20", "--json"]);
      expect(waiting.code, waiting.stderr).toBe(0);
      // The connection itself is set up early (a fast start), and it is up before the count is judged.
      await page.waitForSelector('body[data-peer="connected"]', { timeout: 20_000 });
      await page.waitForSelector('body[data-state="waiting"]', { timeout: 5_000 });
      await new Promise((r) => setTimeout(r, 4_000));
      const before = await stats();
      expect(before.audio.packets).toBe(0);
      expect(before.video.frames).toBe(0);
      expect(before.video.bitrateKbps).toBe(0);

      const started = await cli(["session", "start", session.id, "--json"]);
      expect(started.code, started.stderr).toBe(0);
      let after = await stats();
      const until = Date.now() + 20_000;
      while ((after.audio.packets < 50 || after.video.frames < 10) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 500));
        after = await stats();
      }
      expect(after.audio.packets).toBeGreaterThanOrEqual(50);
      expect(after.video.frames).toBeGreaterThanOrEqual(10);
      await cli(["session", "end", session.id, "--json"]);
    } finally {
      await page.close();
    }
  }, 120_000);
});
