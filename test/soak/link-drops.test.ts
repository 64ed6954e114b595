import { execFileSync } from "node:child_process";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Session, SessionStats, type Permission } from "../../src/protocol/index.js";
import type { CliResult } from "../helpers/cli.js";
import { joinAndStart, lanTechnician, type LanTechnician } from "../helpers/lan.js";
import { netnsUnavailable, type NetNs } from "../helpers/netns.mjs";
import { launchChromium, type Chromium } from "../helpers/chromium.js";

/**
 * Soak (not in `npm test`; `npm run soak`, SOAK_MINUTES=10 by default): one Lens session with
 * Chromium as the customer, whose link is dropped for 5, 20 and 60 s at random times. The
 * session must live through all of it, the log must tell every drop and recovery, and the
 * recording (its segments) must be playable. Prints the figures as one JSON line.
 */
const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const DROPS_S = [5, 20, 60];
const ALL: Permission[] = ["lens", "private", "pin", "chat", "record"];
const unavailable = netnsUnavailable();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const framesOf = (path: string) =>
  Number(execFileSync("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path], { encoding: "utf8" }).trim() || 0);

describe.skipIf(unavailable !== undefined)("soak: a session through link drops", () => {
  let ns: NetNs;
  let lan: LanTechnician | undefined;
  let browser: Chromium | undefined;
  let context: BrowserContext;
  let cli: (args: string[]) => Promise<CliResult>;

  beforeAll(async () => {
    lan = await lanTechnician("soak", ALL);
    ({ ns, cli } = lan);
    browser = await launchChromium(ns, lan.server.url, { viewport: { width: 390, height: 844 }, mobile: true });
    context = browser.context;
  }, 60_000);
  afterAll(async () => {
    ns?.setLink(true);
    await browser?.close();
    await lan?.close();
  });

  const stats = async (id: string) => SessionStats.parse((await cli(["session", "stats", id, "--json"])).json());
  const sessionOf = async (id: string) => (await cli(["session", "list", "--json"])).json<Session[]>().find((s) => s.id === id);

  it(`lives through drops of ${DROPS_S.join(", ")} s in ${MINUTES} min`, { timeout: (MINUTES + 5) * 60_000 }, async () => {
    const created = await cli(["session", "new", "--lens", "--pin", "--name", "Soak", "--json"]);
    const session = Session.parse(created.json());
    const page = await context.newPage();
    await joinAndStart(page, { cli }, session);
    await page.waitForSelector('body[data-state="live"]', { timeout: 30_000 });
    const startedAt = Date.now();
    const slotMs = (MINUTES * 60_000) / DROPS_S.length;
    const order = [...DROPS_S].sort(() => Math.random() - 0.5);
    const drops: { downS: number; atS: number; customerAwayAfterMs: number | null; mediaLostAfterMs: number | null; mediaBackAfterUpMs: number | null }[] = [];

    for (const [i, downS] of order.entries()) {
      const slotStart = startedAt + i * slotMs;
      const latestStart = slotMs - downS * 1000 - 60_000;
      await sleep(Math.max(0, slotStart + 10_000 + Math.random() * Math.max(0, latestStart - 10_000) - Date.now()));
      const before = await stats(session.id);
      ns.setLink(false);
      const downAt = Date.now();
      let away: number | null = null;
      let lost: number | null = null;
      while (Date.now() - downAt < downS * 1000) {
        if (lost === null && (await stats(session.id)).connection?.state === "lost") lost = Date.now() - downAt;
        if (away === null && (await sessionOf(session.id))?.customer?.away) away = Date.now() - downAt;
        await sleep(250);
      }
      ns.setLink(true);
      const upAt = Date.now();
      let back: number | null = null;
      while (back === null && Date.now() - upAt < 90_000) {
        const s = await stats(session.id);
        // A new connection (after a reload or a dead one) counts its frames from zero, in a new segment.
        const fresh = s.recording?.path !== before.recording?.path ? 0 : before.video.frames;
        if (s.connection?.state === "connected" && s.video.frames > fresh + 30) back = Date.now() - upAt;
        else await sleep(250);
      }
      drops.push({ downS, atS: Math.round((downAt - startedAt) / 1000), customerAwayAfterMs: away, mediaLostAfterMs: lost, mediaBackAfterUpMs: back });
      expect((await sessionOf(session.id))?.status, `after the ${downS} s drop`).toBe("active");
    }
    await sleep(Math.max(0, startedAt + MINUTES * 60_000 - Date.now()));

    expect((await cli(["session", "end", session.id, "--json"])).code).toBe(0);
    let segments: { session: string; path: string; durationMs: number | null }[] = [];
    for (let i = 0; i < 60; i++) {
      segments = (await cli(["recordings", "list", "--json"])).json<typeof segments>().filter((r) => r.session === session.id);
      if (segments.length > 0 && segments.every((r) => r.durationMs !== null)) break;
      await sleep(500);
    }
    const log = (await cli(["session", "log", session.id, "--json"])).json<{ event: string }[]>().map((e) => e.event);
    const count = (e: string) => log.filter((x) => x === e).length;
    const figures = {
      minutes: MINUTES,
      drops,
      segments: segments.map((r) => ({ durationMs: r.durationMs, videoFrames: framesOf(r.path) })),
      log: Object.fromEntries(["media-lost", "media-restored", "customer-lost", "customer-disconnected", "customer-reconnected", "recording-started"].map((e) => [e, count(e)])),
    };
    console.log(JSON.stringify(figures));
    expect(drops.every((d) => d.mediaBackAfterUpMs !== null)).toBe(true);
    expect(count("media-lost")).toBeGreaterThanOrEqual(DROPS_S.length);
    expect(count("media-restored")).toBe(count("media-lost"));
    expect(figures.segments.every((s) => s.videoFrames > 0)).toBe(true);
    expect(log).not.toContain("aborted");
    await page.close();
  });
});
