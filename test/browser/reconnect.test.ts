import { execFileSync } from "node:child_process";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Session, SessionStats, type Permission } from "../../src/protocol/index.js";
import type { CliResult } from "../helpers/cli.js";
import { joinAndStart, lanTechnician, type LanTechnician } from "../helpers/lan.js";
import { netnsUnavailable, type NetNs } from "../helpers/netns.mjs";
import { launchChromium, type Chromium } from "../helpers/chromium.js";

/**
 * Real people on real networks, with Chromium as the customer in a network namespace and a real
 * rescued: the customer reloads the page, and the customer's link goes down for a while. The
 * session survives both, the page says what is happening, the technician is told, and the
 * recording goes on (a new segment after a reload). Nothing recorded before is lost.
 */
const ALL: Permission[] = ["lens", "private", "pin", "chat", "record"];
const HEARTBEAT_MS = 2000;
const unavailable = netnsUnavailable();

type LogEntry = { event: string; [k: string]: unknown };
/** Video frames ffprobe decodes in `path`; it prints N/A for a track without a whole frame, which fails loudly here. */
const frames = (path: string) => {
  const out = execFileSync("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path], { encoding: "utf8" }).trim();
  if (!/^\d+$/.test(out)) throw new Error(`ffprobe counted no video frames in ${path}: ${JSON.stringify(out)}`);
  return Number(out);
};

describe.skipIf(unavailable !== undefined)("a customer whose page or network drops", { timeout: 180_000 }, () => {
  let ns: NetNs;
  let lan: LanTechnician | undefined;
  let browser: Chromium | undefined;
  let context: BrowserContext;
  let cli: (args: string[], stdin?: string) => Promise<CliResult>;

  beforeAll(async () => {
    lan = await lanTechnician("browser-reconnect", ALL, { heartbeatMs: HEARTBEAT_MS });
    ({ ns, cli } = lan);
    browser = await launchChromium(ns, lan.server.url, { viewport: { width: 390, height: 844 }, mobile: true });
    context = browser.context;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    ns?.setLink(true);
    await lan?.close();
  });

  const stats = async (id: string) => SessionStats.parse((await cli(["session", "stats", id, "--json"])).json());
  const statsWhen = async (id: string, ok: (s: SessionStats) => boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await stats(id);
      if (ok(s)) return s;
      if (Date.now() > deadline) throw new Error(`stats never matched: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const logOf = async (id: string) => (await cli(["session", "log", id, "--json"])).json<LogEntry[]>();
  const statusOf = async (id: string) => (await cli(["session", "list", "--json"])).json<Session[]>().find((s) => s.id === id);

  async function liveSession(): Promise<{ page: Page; session: Session }> {
    const created = await cli(["session", "new", "--lens", "--pin", "--name", "Ada", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const session = Session.parse(created.json());
    const page = await context.newPage();
    await joinAndStart(page, { cli }, session);
    await page.waitForSelector('body[data-state="live"]', { timeout: 20_000 });
    // Frames in the file, not only received: on a busy machine the recorder may still wait for its first keyframe.
    await statsWhen(session.id, (s) => s.video.frames > 30 && (s.recording?.frames ?? 0) > 30);
    return { page, session };
  }

  it("a reload comes back into the same session: live again, the recording goes on in a second segment", async () => {
    const { page, session } = await liveSession();
    const beforeReload = await stats(session.id);
    const first = beforeReload.recording!.path;

    await page.reload();
    await page.waitForSelector('body[data-state="live"]', { timeout: 30_000 });
    await page.waitForSelector('body[data-peer="connected"]', { timeout: 30_000 });
    const second = await statsWhen(session.id, (s) => s.recording?.path !== first && (s.recording?.frames ?? 0) > 30);
    expect(second.recording!.path).toBe(first.replace(/\.webm$/, "-2.webm"));
    // The figures are the session's over both connections: they go on from where they were.
    expect(second.connections).toBe(2);
    expect(second.video.frames).toBeGreaterThan(beforeReload.video.frames + second.recording!.frames! - 5);
    expect(second.audio.packets).toBeGreaterThan(beforeReload.audio.packets);
    expect((await statusOf(session.id))?.status).toBe("active");
    const log = await logOf(session.id);
    const events = log.map((e) => e.event);
    expect(events).toContain("customer-disconnected");
    expect(events).toContain("customer-reconnected");
    expect(events).not.toContain("aborted");
    // The reloaded page says how long it was away (the time it was left, kept in sessionStorage),
    // and its figure agrees with the gap the server measured itself (from the old socket's close).
    const back = log.find((e) => e.event === "customer-reconnected")!;
    expect(back.reportedAwayMs, JSON.stringify(back)).toEqual(expect.any(Number));
    expect(back.reportedAwayMs as number).toBeGreaterThan(0);
    expect(Math.abs((back.afterMs as number) - (back.reportedAwayMs as number)), JSON.stringify(back)).toBeLessThan(2000);

    expect((await cli(["session", "end", session.id, "--json"])).code).toBe(0);
    await page.waitForSelector('body[data-state="ended"]', { timeout: 15_000 });
    let listed: { session: string; path: string; durationMs: number | null }[] = [];
    await expect
      .poll(async () => (listed = (await cli(["recordings", "list", "--json"])).json()).filter((r) => r.session === session.id && r.durationMs !== null).length, { timeout: 15_000 })
      .toBe(2);
    expect(frames(first)).toBeGreaterThan(30);
    expect(frames(second.recording!.path)).toBeGreaterThan(30);
    await page.close();
  });

  it("a customer who leaves the page for a few seconds and opens it again reports how long they were away", async () => {
    const { page, session } = await liveSession();
    const url = page.url();
    await page.goto("about:blank");
    await new Promise((r) => setTimeout(r, 3000));
    await page.goto(url);
    await page.waitForSelector('body[data-state="live"]', { timeout: 30_000 });
    let back: LogEntry | undefined;
    await expect.poll(async () => (back = (await logOf(session.id)).find((e) => e.event === "customer-reconnected")), { timeout: 15_000 }).toBeTruthy();
    expect(back!.reportedAwayMs as number, JSON.stringify(back)).toBeGreaterThanOrEqual(3000);
    expect(back!.afterMs as number, JSON.stringify(back)).toBeGreaterThanOrEqual(2500);
    expect(Math.abs((back!.afterMs as number) - (back!.reportedAwayMs as number)), JSON.stringify(back)).toBeLessThan(2000);
    expect((await statusOf(session.id))?.status).toBe("active");
    expect((await cli(["session", "end", session.id, "--json"])).code).toBe(0);
    await page.close();
  });

  it("a customer who refused the camera allows it and tries again, without a reload", async () => {
    const created = await cli(["session", "new", "--lens", "--pin", "--name", "Ada", "--json"]);
    const session = Session.parse(created.json());
    const page = await context.newPage();
    // The browser's answer to the first ask is No (as after "Block"); later asks go through.
    await page.addInitScript(() => {
      const devices = navigator.mediaDevices;
      const ask = devices.getUserMedia.bind(devices);
      let refusals = 3;
      devices.getUserMedia = (constraints) =>
        refusals-- > 0 ? Promise.reject(new DOMException("Permission denied", "NotAllowedError")) : ask(constraints);
    });
    await page.goto(session.links!.desktop);
    await page.fill("#name", "Ada");
    await page.click("button[type=submit]");
    await page.waitForSelector('body[data-state="denied"]', { timeout: 15_000 });
    expect(await page.textContent("#status")).not.toMatch(/reload/i);
    expect(await page.isVisible("#retry-devices")).toBe(true);
    await page.click("#retry-devices");
    await page.waitForSelector('body[data-state="eula"]', { timeout: 15_000 });
    await page.click("#accept");
    const waited = await cli(["session", "wait", session.id, "--status", "waiting", "--timeout", "20", "--json"]);
    expect(waited.code, waited.stderr).toBe(0);
    const devices = (await logOf(session.id)).filter((e) => e.event === "devices-granted" || e.event === "devices-denied");
    expect(devices.map((e) => [e.event, e.camera, e.microphone])).toEqual([
      ["devices-denied", false, false],
      ["devices-granted", true, true],
    ]);
    expect((await cli(["session", "end", session.id, "--json"])).code).toBe(0);
    await page.close();
  });

  it("a 20 s outage of the customer's link: the page says it is reconnecting, the technician sees the customer away and media lost, then both come back", async () => {
    const { page, session } = await liveSession();
    const before = await stats(session.id);

    ns.setLink(false);
    const downAt = Date.now();
    await page.waitForSelector('body[data-state="reconnecting"]', { timeout: 20_000 });
    await statsWhen(session.id, (s) => s.connection?.state === "lost", 20_000);
    await expect.poll(async () => (await statusOf(session.id))?.customer?.away ?? null, { timeout: 20_000 }).not.toBeNull();
    expect((await statusOf(session.id))?.status).toBe("active");
    // The technician's figures say the customer is away, and what was received stays counted.
    const away = await statsWhen(session.id, (s) => s.away !== undefined, 20_000);
    expect(away.video.frames).toBeGreaterThanOrEqual(before.video.frames);
    await new Promise((r) => setTimeout(r, Math.max(0, 20_000 - (Date.now() - downAt))));
    // Chrome gave up on the connection by now (and the page made a new one that cannot connect
    // yet): the page must still say it is reconnecting, not "Live".
    expect(await page.getAttribute("body", "data-state")).toBe("reconnecting");

    ns.setLink(true);
    const upAt = Date.now();
    await page.waitForSelector('body[data-state="live"]', { timeout: 60_000 });
    const back = await statsWhen(session.id, (s) => s.connection?.state === "connected" && s.video.frames > before.video.frames + 30, 60_000);
    const restoredMs = Date.now() - upAt;
    await expect.poll(async () => (await statusOf(session.id))?.customer?.away ?? null, { timeout: 30_000 }).toBeNull();
    const log = await logOf(session.id);
    const events = log.map((e) => e.event);
    for (const e of ["customer-lost", "customer-reconnected", "media-lost", "media-restored"]) expect(events).toContain(e);
    // The page counts its time away from its last message from the server (before the link went
    // down), not from noticing that its socket had died.
    const reconnected = log.find((e) => e.event === "customer-reconnected")!;
    expect(reconnected.reportedAwayMs as number, JSON.stringify(reconnected)).toBeGreaterThanOrEqual(upAt - downAt);
    expect(events).not.toContain("aborted");
    expect(back.video.frames).toBeGreaterThan(before.video.frames);
    expect(back.video.frames).toBeGreaterThanOrEqual(away.video.frames);
    console.log(`20 s link outage: media back ${restoredMs} ms after the link came up`);
    // The technician's one Lens session slot is free again for the next case.
    expect((await cli(["session", "end", session.id, "--json"])).code).toBe(0);
    await page.close();
  });

  it("a network switch that leaves the page's socket half-open (no error, no reset): the page hears nothing, gives it up and resumes on a new one", async () => {
    const { page, session } = await liveSession();
    const stranded = ns.strandTcp(Number(new URL(lan!.server.url).port));
    expect(stranded.length).toBeGreaterThan(0);
    const strandedAt = Date.now();
    // The server's heartbeat finds its end dead; the page must find its own by the silence.
    let back: LogEntry | undefined;
    await expect.poll(async () => (back = (await logOf(session.id)).find((e) => e.event === "customer-reconnected")), { timeout: 90_000, interval: 500 }).toBeTruthy();
    const resumedMs = Date.now() - strandedAt;
    await page.waitForSelector('body[data-state="live"]', { timeout: 30_000 });
    expect((await statusOf(session.id))?.status).toBe("active");
    expect((await logOf(session.id)).map((e) => e.event)).not.toContain("aborted");
    // The page counts its time away from the last thing it heard, before the network changed.
    expect(back!.reportedAwayMs as number, JSON.stringify(back)).toBeGreaterThanOrEqual(10_000);
    // The new socket carries the session: the technician's chat arrives, and so does the end.
    expect((await cli(["chat", session.id, "still there?"])).code).toBe(0);
    await page.waitForSelector("#messages li.technician >> text=still there?", { timeout: 15_000 });
    expect((await cli(["session", "end", session.id, "--json"])).code).toBe(0);
    await page.waitForSelector('body[data-state="ended"]', { timeout: 15_000 });
    console.log(`half-open socket (ports ${stranded.join(", ")}): resumed ${resumedMs} ms after the network switch`);
    await page.close();
  });
});
