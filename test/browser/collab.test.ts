import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { RTCPeerConnection, type MediaStreamTrack } from "werift";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServerToTechnician, type Permission } from "../../src/protocol/index.js";
import { initData, startServer, type RunningServer } from "../../src/server/index.js";
import { createNetns, netnsUnavailable, type NetNs } from "../helpers/netns.mjs";
import { launchChromium, type Chromium } from "../helpers/chromium.js";
import { openWs, type WsProbe } from "../helpers/server.js";

/**
 * The customer's browser page with collaborators: it opens one peer connection per technician
 * (the lead, and each collaborator who may view), and offers again to a new lead after a transfer.
 * Chromium runs in a private network namespace (see lens.test.ts); werift peers play the daemons.
 */
const ALL: Permission[] = ["lens", "private", "pin", "chat", "record", "invite-internal", "transfer"];

let ns: NetNs;
let server: RunningServer;
let dataDir: string;
let context: BrowserContext;
let browser: Chromium | undefined;
const techs: Record<"lead" | "second" | "third", { email: string; token: string }> = {} as never;

async function api<T = any>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(server.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function login(email: string, password: string): Promise<string> {
  const res = await fetch(`${server.url}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password }) });
  return ((await res.json()) as { token: string }).token;
}

/** A werift peer that answers every offer for the session on this technician socket and counts video RTP. */
function daemonLike(ws: WsProbe, sessionId: string): { packets: () => number; close: () => Promise<void> } {
  let pc: RTCPeerConnection | null = null;
  let packets = 0;
  ws.ws.on("message", async (data) => {
    const msg = ServerToTechnician.parse(JSON.parse(String(data)));
    if (msg.type !== "signal" || msg.sessionId !== sessionId) return;
    if (msg.signal.kind === "offer") {
      await pc?.close();
      const peer = (pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: "max-bundle", iceAdditionalHostAddresses: [ns.hostAddress] }));
      peer.onTrack.subscribe((track: MediaStreamTrack) => {
        if (track.kind === "video") track.onReceiveRtp.subscribe(() => packets++);
      });
      await peer.setRemoteDescription({ type: "offer", sdp: msg.signal.sdp });
      await peer.setLocalDescription(await peer.createAnswer());
      ws.send({ type: "signal", sessionId, signal: { kind: "answer", sdp: peer.localDescription!.sdp } });
    } else if (msg.signal.kind === "candidate") {
      pc?.addIceCandidate(msg.signal.candidate as never).catch(() => undefined);
    }
  });
  return { packets: () => packets, close: async () => void (await pc?.close()) };
}

/** How much `count` grew, waiting up to `ms` for it to grow by `by`. */
async function grows(count: () => number, by: number, ms = 15_000): Promise<number> {
  const from = count();
  const deadline = Date.now() + ms;
  while (count() - from < by && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return count() - from;
}

const unavailable = netnsUnavailable();

describe.skipIf(unavailable !== undefined)("the Lens page with collaborating technicians", () => {
  beforeAll(async () => {
    ns = createNetns();
    dataDir = join(mkdtempSync(join(tmpdir(), "rescue-browser-collab-")), "data");
    const admin = await initData(dataDir, "admin@example.test");
    server = await startServer({ dataDir, host: ns.hostAddress, port: 0, logLevel: "silent" });
    browser = await launchChromium(ns, server.url);
    context = browser.context;
    const adminToken = await login(admin.email, admin.password);
    await api("POST", "/api/v1/admin/groups", adminToken, { name: "Support", permissions: ALL });
    for (const name of ["lead", "second", "third"] as const) {
      const added = await api("POST", "/api/v1/admin/technicians", adminToken, { email: `${name}@example.test`, group: "Support" });
      techs[name] = { email: added.body.email, token: await login(added.body.email, added.body.password) };
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    ns?.close();
    if (dataDir) rmSync(join(dataDir, ".."), { recursive: true, force: true });
  });

  it("streams to the lead and a collaborator at once, drops a removed one, and re-offers to the new lead after a transfer", async () => {
    const created = await api("POST", "/api/v1/sessions", techs.lead.token, { method: "pin", name: "Browser customer" });
    const id: string = created.body.id;
    const sockets: WsProbe[] = [];
    const peers: { close: () => Promise<void> }[] = [];
    const socketOf = async (who: keyof typeof techs) => {
      const ws = await openWs(`${server.url.replace(/^http/, "ws")}/api/v1/ws`, { headers: { authorization: `Bearer ${techs[who].token}` } });
      sockets.push(ws);
      await ws.next("sessions");
      const peer = daemonLike(ws, id);
      peers.push(peer);
      return peer;
    };
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    try {
      const lead = await socketOf("lead");
      await page.goto(`${server.url}/lens?pin=${created.body.pin}`);
      await page.waitForSelector('body[data-state="eula"]', { timeout: 10_000 });
      await page.click("#accept");
      await page.waitForSelector('body[data-peer="connected"]', { timeout: 15_000 });
      expect((await api("POST", `/api/v1/sessions/${id}/start`, techs.lead.token)).body.status).toBe("active");
      expect(await grows(lead.packets, 100)).toBeGreaterThanOrEqual(100);

      // A collaborator: the page opens a second connection, to them.
      const second = await socketOf("second");
      const invited = await api("POST", `/api/v1/sessions/${id}/invitations`, techs.lead.token, { kind: "internal", to: techs.second.email, permissions: ["view"] });
      expect((await api("POST", "/api/v1/invitations/join", techs.second.token, { pin: invited.body.pin })).status).toBe(200);
      await page.waitForSelector('body[data-others="1"]', { timeout: 10_000 });
      expect(await grows(second.packets, 100)).toBeGreaterThanOrEqual(100);
      expect(await grows(lead.packets, 100)).toBeGreaterThanOrEqual(100);

      // Removed: the page closes that connection, the collaborator's packets stop.
      await api("POST", `/api/v1/sessions/${id}/collaborators/${invited.body.invitation.id}/remove`, techs.lead.token);
      await page.waitForSelector('body[data-others="0"]', { timeout: 10_000 });
      await new Promise((r) => setTimeout(r, 300));
      expect(await grows(second.packets, 1, 1500)).toBe(0);

      // Transfer: the page offers again, to the new lead's daemon.
      const third = await socketOf("third");
      expect((await api("POST", `/api/v1/sessions/${id}/transfer`, techs.lead.token, { to: techs.third.email })).body.technician).toBe(techs.third.email);
      expect(await grows(third.packets, 100)).toBeGreaterThanOrEqual(100);
      expect(errors).toEqual([]);
    } finally {
      for (const p of peers) await p.close();
      for (const ws of sockets) await ws.close();
      await page.close();
    }
  }, 90_000);
});
