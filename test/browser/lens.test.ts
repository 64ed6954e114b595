import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket } from "werift";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServerToTechnician, Session, type Permission, type Signal } from "../../src/protocol/index.js";
import { initData, startServer, type RunningServer } from "../../src/server/index.js";
import { createNetns, netnsUnavailable, type NetNs } from "../helpers/netns.mjs";
import { launchChromium, type Chromium } from "../helpers/chromium.js";
import { openWs, type WsProbe } from "../helpers/server.js";

/**
 * The customer's real browser: Chromium runs inside a private network namespace (it gathers no
 * loopback candidates), the server listens on the namespace's veth peer, and a werift peer in
 * the test plays the technician's daemon, answering over the technician WebSocket.
 */
const SHOTS = join(process.cwd(), "test-output", "screenshots");
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const ALL: Permission[] = ["lens", "private", "pin", "link", "sms", "email", "chat", "record"];

let ns: NetNs;
let server: RunningServer;
let dataDir: string;
let context: BrowserContext;
let browser: Chromium | undefined;
let tech: { token: string; email: string };

async function api<T = any>(method: string, path: string, body?: unknown, token = tech?.token): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(server.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function loginAs(email: string, password: string): Promise<string> {
  const res = await fetch(`${server.url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  return ((await res.json()) as { token: string }).token;
}

/** A phone-size and a desktop-size screenshot of the page as it is now. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}-phone.png`) });
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: join(SHOTS, `${name}-desktop.png`) });
  await page.setViewportSize(PHONE);
}

const state = (page: Page, value: string) => page.waitForSelector(`body[data-state="${value}"]`, { timeout: 10_000 });
/** The sent tracks' kind:enabled, as the page reads them off its stream. */
const tracksEnabled = async (page: Page) => (await page.getAttribute("body", "data-tracks"))?.split(",");

async function newSession(method: "pin" | "link" = "pin"): Promise<Session> {
  const res = await api("POST", "/api/v1/sessions", { method, name: "Browser customer" });
  expect(res.status).toBe(201);
  return Session.parse(res.body);
}

/** The next technician message of a type, parsed with the protocol. */
async function nextOf<T extends ServerToTechnician["type"]>(ws: WsProbe, type: T, timeoutMs = 10_000) {
  return ServerToTechnician.parse(await ws.next(type, timeoutMs)) as Extract<ServerToTechnician, { type: T }>;
}

/** Whether an RTP payload starts a VP8 key frame (RFC 7741: descriptor, then the payload header's P bit). */
function startsVp8KeyFrame(payload: Buffer): boolean {
  const first = payload[0]!;
  if ((first & 0x10) === 0 || (first & 0x07) !== 0) return false; // not S=1 with partition 0
  let i = 1;
  if (first & 0x80) {
    const ext = payload[i++]!;
    if (ext & 0x80) i += payload[i]! & 0x80 ? 2 : 1; // PictureID, 7 or 15 bits
    if (ext & 0x40) i += 1; // TL0PICIDX
    if (ext & 0x30) i += 1; // TID/KEYIDX
  }
  return (payload[i]! & 0x01) === 0;
}

const unavailable = netnsUnavailable();

describe.skipIf(unavailable !== undefined)("the customer pages in Chromium", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    ns = createNetns();
    dataDir = join(mkdtempSync(join(tmpdir(), "rescue-browser-")), "data");
    const admin = await initData(dataDir, "admin@example.test");
    // A small PIN budget, so that the last test can spend the browser's network's.
    server = await startServer({ dataDir, host: ns.hostAddress, port: 0, logLevel: "silent", limits: { pins: { perSource: { burst: 3, windowMs: 3_600_000 } } } });
    const adminToken = await loginAs(admin.email, admin.password);
    await api("POST", "/api/v1/admin/groups", { name: "Support", permissions: ALL }, adminToken);
    const added = await api("POST", "/api/v1/admin/technicians", { email: "tech@example.test", group: "Support" }, adminToken);
    tech = { email: "tech@example.test", token: await loginAs(added.body.email, added.body.password) };
    browser = await launchChromium(ns, server.url, { viewport: PHONE, mobile: true });
    context = browser.context;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    ns?.close();
    if (dataDir) rmSync(join(dataDir, ".."), { recursive: true, force: true });
  });

  it("PIN entry -> EULA -> offer -> live video to a werift peer and its voice back, chat, hold, pause, disconnect", async () => {
    const session = await newSession();
    const techWs = await openWs(`${server.url.replace(/^http/, "ws")}/api/v1/ws`, { headers: { authorization: `Bearer ${tech.token}` } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    const peer = new RTCPeerConnection({ iceServers: [], bundlePolicy: "max-bundle", iceAdditionalHostAddresses: [ns.hostAddress] });
    try {
      // The desktop link: the PIN-entry page with the PIN filled in.
      await page.goto(session.links!.desktop);
      expect(await page.inputValue("#pin")).toBe(session.pin);
      await shoot(page, "pin-entry");
      await page.fill("#name", "Ada");
      await page.click("button[type=submit]");

      await state(page, "eula");
      expect(await page.isVisible("#recorded")).toBe(true);
      expect(await page.textContent("#eula-lens .eula")).toContain("live video from your camera");
      // Granted but dark: nothing is shown to anyone before the EULA and the start.
      expect(await tracksEnabled(page)).toEqual(["audio:false", "video:false"]);
      await shoot(page, "lens-eula");
      const before = (await api("GET", `/api/v1/sessions/${session.id}`)).body;
      expect(before).toMatchObject({ status: "connecting", customer: { camera: true, microphone: true, eulaAcceptedAt: null } });

      await page.click("#accept");
      await state(page, "waiting");
      const offer = await nextOf(techWs, "signal");
      expect(offer.sessionId).toBe(session.id);
      expect(offer.signal.kind).toBe("offer");
      const sdp = (offer.signal as Extract<Signal, { kind: "offer" }>).sdp;
      expect(sdp).toMatch(/m=video[\s\S]*a=sendonly/);
      expect(sdp).toMatch(/m=audio[\s\S]*a=sendrecv/);
      await shoot(page, "lens-waiting");

      // The technician's side: answer with werift, count the video RTP that arrives.
      let videoPackets = 0;
      let keyFrames = 0;
      peer.onTrack.subscribe((track: MediaStreamTrack) => {
        if (track.kind !== "video") return;
        track.onReceiveRtp.subscribe((rtp) => {
          videoPackets++;
          if (startsVp8KeyFrame(rtp.payload)) keyFrames++;
        });
      });
      // Chrome trickles its candidates after the offer.
      techWs.ws.on("message", (data) => {
        const msg = ServerToTechnician.parse(JSON.parse(String(data)));
        if (msg.type === "signal" && msg.signal.kind === "candidate") peer.addIceCandidate(msg.signal.candidate as never).catch(() => undefined);
      });
      await peer.setRemoteDescription({ type: "offer", sdp });
      // The technician talks back on the customer's sendrecv audio.
      const audio = peer.getTransceivers().find((t) => t.kind === "audio")!;
      audio.setDirection("sendrecv");
      const voice = new MediaStreamTrack({ kind: "audio" });
      await audio.sender.replaceTrack(voice);
      await peer.setLocalDescription(await peer.createAnswer());
      techWs.send({ type: "signal", sessionId: session.id, signal: { kind: "answer", sdp: peer.localDescription!.sdp } });
      const connectedAt = Date.now();
      await page.waitForSelector('body[data-peer="connected"]', { timeout: 15_000 });
      const connectMs = Date.now() - connectedAt;
      // 20 ms Opus silence frames (TOC 0xf8: CELT fullband 20 ms, one frame).
      let seq = 0;
      const talking = setInterval(() => {
        voice.writeRtp(new RtpPacket(new RtpHeader({ sequenceNumber: seq & 0xffff, timestamp: (seq * 960) >>> 0, marker: seq === 0 }), Buffer.from([0xf8, 0xff, 0xfe])));
        seq++;
      }, 20);
      try {
        // A remote track stays muted until its first RTP arrives.
        const hearing = `(function () { var s = document.getElementById("remote-audio").srcObject; return !!s && s.getAudioTracks().length === 1 && !s.getAudioTracks()[0].muted; })()`;
        const until = Date.now() + 10_000;
        while (!(await page.evaluate(hearing)) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
        expect(await page.evaluate(hearing)).toBe(true);
      } finally {
        clearInterval(talking);
      }

      expect((await api("POST", `/api/v1/sessions/${session.id}/start`)).body.status).toBe("active");
      await state(page, "live");
      expect(await tracksEnabled(page)).toEqual(["audio:true", "video:true"]);
      const liveFrom = videoPackets;
      const deadline = Date.now() + 10_000;
      while (videoPackets - liveFrom < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(videoPackets - liveFrom).toBeGreaterThanOrEqual(100);
      const videoCodec = peer.getTransceivers().find((t) => t.kind === "video")?.codecs[0]?.mimeType ?? "";
      expect(videoCodec.toLowerCase()).toBe("video/vp8");
      expect(keyFrames).toBeGreaterThanOrEqual(1);
      console.log(`browser->werift: DTLS/ICE connected ${connectMs} ms after the answer; ${videoPackets} video RTP packets, ${keyFrames} VP8 key frames`);

      // Chat both ways.
      await api("POST", `/api/v1/sessions/${session.id}/chat`, { text: "Point the camera at the router, please" });
      await page.waitForSelector("#messages li.technician >> text=Point the camera at the router");
      await page.fill("#chat-text", "Here it is");
      await page.click("#chat-form button");
      let chat = await nextOf(techWs, "chat");
      while (chat.message.from !== "customer") chat = await nextOf(techWs, "chat");
      expect(chat.message).toMatchObject({ from: "customer", author: "Ada", text: "Here it is" });
      await page.waitForSelector("#messages li.customer >> text=Here it is");
      await shoot(page, "lens-live");

      // Hold is shown as paused and darkens the tracks; resume brings them back.
      await api("POST", `/api/v1/sessions/${session.id}/hold`);
      await state(page, "on-hold");
      expect(await tracksEnabled(page)).toEqual(["audio:false", "video:false"]);
      await shoot(page, "lens-on-hold");
      await api("POST", `/api/v1/sessions/${session.id}/resume`);
      await state(page, "live");

      // The customer's own pause.
      await page.click("#pause");
      await state(page, "paused");
      expect(await tracksEnabled(page)).toEqual(["audio:false", "video:false"]);
      await page.click("#pause");
      await state(page, "live");
      expect(await tracksEnabled(page)).toEqual(["audio:true", "video:true"]);

      await page.click("#disconnect");
      await state(page, "ended");
      let update = await nextOf(techWs, "session");
      while (update.session.status !== "aborted") update = await nextOf(techWs, "session");
      await shoot(page, "lens-ended");
      expect(errors).toEqual([]);
    } finally {
      await peer.close();
      await techWs.close();
      await page.close();
    }
  }, 90_000);

  it("the mobile link page leads to the Lens page, and declining the EULA shares nothing", async () => {
    const session = await newSession("link");
    const page = await context.newPage();
    try {
      await page.goto(session.links!.mobile);
      await shoot(page, "mobile-link");
      await page.click("#start");
      await state(page, "eula");
      await page.click("#decline");
      await state(page, "declined");
      await shoot(page, "lens-declined");
      expect((await api("GET", `/api/v1/sessions/${session.id}`)).body.status).toBe("declined");
    } finally {
      await page.close();
    }
  });

  it("a Dutch page shows the agreement in Dutch, and the ended page leaves out a chat that never started", async () => {
    const session = await newSession();
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}/lens?pin=${session.pin}&lang=nl`);
      await state(page, "eula");
      expect(await page.textContent("#eula-lens .eula")).toContain("de live beelden van uw camera");
      await page.click("#accept");
      await state(page, "waiting");
      expect(await page.isVisible("#chat")).toBe(true);
      expect((await api("POST", `/api/v1/sessions/${session.id}/end`)).status).toBe(200);
      await state(page, "ended");
      expect(await page.isVisible("#chat")).toBe(false);
    } finally {
      await page.close();
    }
  });

  it("offers again on start when the technician's daemon missed the first offer", async () => {
    const session = await newSession();
    const page = await context.newPage();
    let techWs: WsProbe | undefined;
    try {
      await page.goto(`${server.url}/lens?pin=${session.pin}`);
      await state(page, "eula");
      await page.click("#accept");
      await state(page, "waiting");
      // The daemon connects only now: the first offer went nowhere.
      techWs = await openWs(`${server.url.replace(/^http/, "ws")}/api/v1/ws`, { headers: { authorization: `Bearer ${tech.token}` } });
      await nextOf(techWs, "sessions");
      expect((await api("POST", `/api/v1/sessions/${session.id}/start`)).status).toBe(200);
      const offer = await nextOf(techWs, "signal");
      expect(offer).toMatchObject({ sessionId: session.id, signal: { kind: "offer" } });
      // Gathered by now, so the repeated offer carries the browser's candidates itself.
      expect((offer.signal as Extract<Signal, { kind: "offer" }>).sdp).toMatch(new RegExp(`a=candidate:.* ${ns.nsAddress.replace(/\./g, "\\.")} `));
      await state(page, "live");
    } finally {
      await techWs?.close();
      await page.close();
    }
  });

  it("a wrong PIN says so and offers the PIN page", async () => {
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}/lens?pin=000000`);
      await state(page, "bad-pin");
      expect(await page.textContent("#status")).toContain("unknown or has expired");
      await shoot(page, "lens-bad-pin");
      await page.click("#again a");
      await page.waitForURL(/\/pin/);
    } finally {
      await page.close();
    }
  });

  // Last: it spends the PIN budget of the browser's network.
  it("a network that spent its PIN budget: the customer with a live PIN is told to try another network", async () => {
    const session = await newSession();
    const page = await context.newPage();
    try {
      for (let i = 1; i <= 5; i++) {
        await page.goto(`${server.url}/lens?pin=${String((Number(session.pin) + i) % 1_000_000).padStart(6, "0")}`);
        await state(page, "bad-pin");
        if (!(await page.textContent("#status"))!.includes("unknown or has expired")) break;
      }
      await page.goto(`${server.url}/lens?pin=${session.pin}`);
      await state(page, "bad-pin");
      const text = (await page.textContent("#status"))!;
      expect(text).toContain("Connect from another network (for example mobile data instead of Wi-Fi)");
      expect(text).not.toMatch(/try again in \d+ s/);
      await shoot(page, "lens-network-blocked");
      // The session still waits for its customer; its technician is told in the log.
      expect((await api("GET", `/api/v1/sessions/${session.id}`)).body).toMatchObject({ status: "connecting", pin: session.pin });
      await expect
        .poll(async () => (await api("GET", `/api/v1/sessions/${session.id}/log`)).body.map((e: { event: string }) => e.event))
        .toContain("pin-refused-network");
    } finally {
      await page.close();
    }
  });
});
