import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Session, SessionLogEntry, SessionStats, StartResponse, type Permission } from "../../src/protocol/index.js";
import { initData, startServer, type RunningServer } from "../../src/server/index.js";
import { dropHome, makeHome, rescue as rescueIn, type CliResult } from "../helpers/cli.js";
import { tapEvents } from "../helpers/localapi.js";
import { createNetns, netnsUnavailable, type NetNs } from "../helpers/netns.mjs";
import { launchChromium, type Chromium } from "../helpers/chromium.js";

/**
 * A desktop session end to end: the technician works with the real CLI and a real daemon (a child
 * process), the customer shares a screen from Chromium (its fake capture stands in for a monitor)
 * inside a private network namespace, and the daemon's recording is judged by ffprobe. The daemon
 * needs no setting to reach the browser: werift gathers the veth peer's address like any other
 * interface's (only loopback needs adding, which the server's URL tells it).
 */
const SHOTS = join(process.cwd(), "test-output", "screenshots");
const PERMISSIONS: Permission[] = ["private", "pin", "link", "chat", "record"];

let ns: NetNs;
let server: RunningServer;
let dataDir: string;
let context: BrowserContext;
let browser: Chromium | undefined;
let home: string;

const cli = (args: string[], stdin?: string): Promise<CliResult> => rescueIn(home, args, stdin === undefined ? {} : { stdin });

async function ok(args: string[]): Promise<CliResult> {
  const r = await cli(args);
  expect(r.code, `rescue ${args.join(" ")}: ${r.stderr}`).toBe(0);
  return r;
}

async function adminApi(token: string, method: string, path: string, body: unknown): Promise<any> {
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return res.json();
}

const state = (page: Page, value: string, timeout = 10_000) => page.waitForSelector(`body[data-state="${value}"]`, { timeout });

function probe(path: string): { codec: string; width: number; height: number; frames: number; streams: string[] } {
  const out = execFileSync("ffprobe", ["-v", "error", "-count_frames", "-show_entries", "stream=codec_type,codec_name,width,height,nb_read_frames", "-of", "json", path], {
    encoding: "utf8",
  });
  const streams = (JSON.parse(out) as { streams: Record<string, string | number>[] }).streams;
  const video = streams.find((s) => s.codec_type === "video");
  if (!video) throw new Error(`no video stream in ${path}: ${out}`);
  return {
    codec: String(video.codec_name),
    width: Number(video.width),
    height: Number(video.height),
    frames: Number(video.nb_read_frames),
    streams: streams.map((s) => String(s.codec_type)),
  };
}

const unavailable = netnsUnavailable();

describe.skipIf(unavailable !== undefined)("a desktop (screen viewing) session from Chromium to the daemon's recording", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    ns = createNetns();
    dataDir = join(mkdtempSync(join(tmpdir(), "rescue-screen-")), "data");
    const admin = await initData(dataDir, "admin@example.test");
    server = await startServer({ dataDir, host: ns.hostAddress, port: 0, logLevel: "silent" });
    const adminToken = (await adminApi("", "POST", "/api/v1/auth/login", { email: admin.email, password: admin.password })).token as string;
    await adminApi(adminToken, "POST", "/api/v1/admin/groups", { name: "Desk", permissions: PERMISSIONS });
    const tech = await adminApi(adminToken, "POST", "/api/v1/admin/technicians", { email: "desk@example.test", group: "Desk" });
    home = makeHome();
    const login = await cli(["login", "--server", server.url, "--email", tech.email, "--password-stdin", "--json"], `${tech.password}\n`);
    expect(login.code, login.stderr).toBe(0);
    browser = await launchChromium(ns, server.url, { viewport: { width: 1280, height: 800 } });
    context = browser.context;
  });

  afterAll(async () => {
    await browser?.close();
    if (home) await dropHome(home);
    await server?.close();
    ns?.close();
    if (dataDir) rmSync(join(dataDir, ".."), { recursive: true, force: true });
  });

  it("link -> consent -> screen picked -> Start records it; chat both ways; the customer stops sharing: a status, logged", async () => {
    const created = Session.parse((await ok(["session", "new", "--desktop", "--link", "--name", "Ada", "--json"])).json());
    expect(created).toMatchObject({ type: "desktop", mode: "view", status: "connecting" });

    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));

    // The desktop link: the PIN page, filled in; the PIN opens the screen page, not the camera page.
    await page.goto(created.links!.desktop);
    expect(await page.inputValue("#pin")).toBe(created.pin);
    await page.click("button[type=submit]");
    await state(page, "eula");
    expect(await page.locator("script[src='/assets/screen.js']").count()).toBe(1);
    expect(await page.isVisible("#recorded")).toBe(true);
    // Nothing is captured before consent: no banner, no preview.
    expect(await page.isVisible("#viewing")).toBe(false);
    expect(await page.isVisible("#stage")).toBe(false);

    await page.click("#accept");
    await state(page, "waiting");
    const waited = await ok(["session", "wait", created.id, "--status", "waiting", "--timeout", "15", "--json"]);
    expect(Session.parse(waited.json()).customer).toMatchObject({ camera: true, microphone: false });
    // Picked but dark: the banner appears only while the technician sees the screen.
    expect(await page.getAttribute("body", "data-sharing")).toBe("no");
    expect(await page.isVisible("#viewing")).toBe(false);

    const tap = tapEvents(home, null);
    await tap.opened;
    const started = StartResponse.parse((await ok(["session", "start", created.id, "--json"])).json());
    expect(started.recording).toMatch(/\.webm$/);
    await state(page, "live");
    await page.waitForSelector('body[data-peer="connected"]', { timeout: 15_000 });
    expect(await page.isVisible("#viewing")).toBe(true);
    expect(await page.textContent("#viewing")).toContain("Your technician is viewing your screen.");
    // Screen content: full resolution kept, the frame rate capped, the encoder told it is text.
    expect(await page.getAttribute("body", "data-capture")).toBe("1920x1080@15 detail");
    expect(await page.getAttribute("body", "data-sender")).toBe("maintain-resolution 15fps");
    await tap.until((evs) => evs.some((e) => e.type === "media" && e.sessionId === created.id && e.event === "first-frame"), 15_000);

    // Let a few seconds of screen arrive, then read the daemon's figures.
    await new Promise((r) => setTimeout(r, 4000));
    const stats = SessionStats.parse((await ok(["session", "stats", created.id, "--json"])).json());
    expect(stats.video.codec).toBe("vp8");
    expect(stats.video.frames).toBeGreaterThan(10);
    expect(stats.video.width).toBeGreaterThanOrEqual(640);
    expect(stats.video.fps).toBeLessThanOrEqual(16);
    console.log(`screen share: ${stats.video.width}x${stats.video.height}, ${stats.video.fps} fps, ${stats.video.bitrateKbps} kbit/s, ${stats.video.frames} frames`);
    await page.screenshot({ path: join(SHOTS, "screen-live-desktop.png") });

    // Chat works as in a Lens session, both ways.
    await ok(["chat", created.id, "Please open the settings window"]);
    await page.waitForSelector("#messages li.technician", { timeout: 10_000 });
    await page.fill("#chat-text", "Done");
    await page.click("#chat-form button[type=submit]");

    // On hold the screen goes dark and the banner with it; resuming brings both back.
    await ok(["session", "hold", created.id]);
    await state(page, "on-hold");
    expect(await page.getAttribute("body", "data-sharing")).toBe("no");
    expect(await page.isVisible("#viewing")).toBe(false);
    await ok(["session", "resume", created.id]);
    await state(page, "live");
    expect(await page.isVisible("#viewing")).toBe(true);

    // The customer stops sharing: the stream ends, the technician is told, the session stays active.
    await page.click("#stop");
    await state(page, "stopped");
    expect(await page.isVisible("#viewing")).toBe(false);
    await page.screenshot({ path: join(SHOTS, "screen-stopped-desktop.png") });
    const events = await tap.until((evs) => evs.some((e) => e.type === "media" && e.sessionId === created.id && e.event === "screen-share-stopped"), 10_000);
    tap.close();
    expect(events.filter((e) => e.type === "error")).toEqual([]);
    const listed = (await ok(["session", "list", "--json"])).json<Session[]>().find((s) => s.id === created.id);
    expect(listed).toMatchObject({ type: "desktop", mode: "view", status: "active" });

    await ok(["session", "end", created.id]);
    await state(page, "ended");

    const log = (await ok(["session", "log", created.id, "--json"])).json<unknown[]>().map((e) => SessionLogEntry.parse(e));
    expect(log.find((e) => e.event === "created")).toMatchObject({ type: "desktop", mode: "view", method: "link" });
    const order = log.map((e) => e.event);
    for (const event of ["customer-connected", "eula-accepted", "started", "recording-started", "chat", "screen-share-stopped", "closed"] as const) {
      expect(order, event).toContain(event);
    }
    expect(order.indexOf("screen-share-stopped")).toBeLessThan(order.indexOf("closed"));
    expect(log.filter((e) => e.event === "chat").map((e) => e.from)).toEqual(["technician", "customer"]);

    // The recording, finalised on end: a VP8 video track of the screen, and nothing else.
    const deadline = Date.now() + 10_000;
    while (!(await ok(["recordings", "list", "--json"])).json<{ session: string; durationMs: number | null }[]>().some((r) => r.session === created.id && r.durationMs !== null)) {
      if (Date.now() > deadline) throw new Error("the recording was not finalised");
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(existsSync(started.recording!)).toBe(true);
    const file = probe(started.recording!);
    console.log(`recording: ${file.codec} ${file.width}x${file.height}, ${file.frames} frames, streams ${file.streams.join(",")}`);
    expect(file).toMatchObject({ codec: "vp8", streams: ["video"] });
    expect(file.frames).toBeGreaterThan(10);
    expect(file.width).toBeGreaterThanOrEqual(640);
    expect(file.width).toBeLessThanOrEqual(1920);
    expect(file.height).toBeLessThanOrEqual(1080);
    expect(errors).toEqual([]);
    // Every candidate the page trickled was taken up, even those that came while the offer was; nothing failed.
    const daemonLog = readFileSync(join(home, "logs", "rescued.log"), "utf8");
    expect(daemonLog).toContain(`session ${created.id}: media connected`);
    expect(daemonLog).not.toMatch(/before its offer: ignored/);
    expect(daemonLog).not.toMatch(/ error /);
    await page.close();
  }, 90_000);

  it("the mobile link of a desktop session leads to the screen page; declining captures nothing", async () => {
    const created = Session.parse((await ok(["session", "new", "--desktop", "--pin", "--json"])).json());
    const page = await context.newPage();
    try {
      await page.goto(created.links!.mobile);
      expect(await page.textContent("h1")).toBe("Your technician invites you to a support session");
      await page.click("#start");
      await state(page, "eula");
      await page.click("#decline");
      await state(page, "declined");
      expect(await page.getAttribute("body", "data-capture")).toBeNull();
      expect(await page.isVisible("#viewing")).toBe(false);
      const after = Session.parse((await ok(["session", "wait", created.id, "--status", "declined", "--timeout", "10", "--json"])).json());
      expect(after.customer).toMatchObject({ camera: false, microphone: false, eulaAcceptedAt: null });
    } finally {
      await page.close();
    }
  });
});
