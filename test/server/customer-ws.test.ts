import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { MAX_MESSAGE_BYTES, ServerToCustomer, ServerToTechnician, Session, WS_CLOSE, type Permission } from "../../src/protocol/index.js";
import { customerReady, openCustomerWs, openTechnicianWs, type TestServer, type WsProbe, serverPerTest } from "../helpers/server.js";

const each = serverPerTest();
let server: TestServer | undefined;

const LENS: Permission[] = ["lens", "private", "pin", "chat", "record"];
async function newSession(token: string): Promise<Session> {
  return Session.parse((await server!.api("POST", "/api/v1/sessions", { token, body: { method: "pin", name: "Jane" } })).body);
}
async function customer(opts: WebSocket.ClientOptions = {}): Promise<WsProbe> {
  const c = await openCustomerWs(server!, opts);
  each.keep(c);
  return c;
}
async function technicianWs(token: string): Promise<WsProbe> {
  const t = await openTechnicianWs(server!, token);
  each.keep(t);
  return t;
}
/** A server started for this test (`opts`), a technician with the Lens permissions, and a new PIN session of theirs. */
async function technicianWithSession(opts: Parameters<typeof each.start>[0] = {}) {
  server = await each.start(opts);
  const tech = await server.technician(LENS);
  return { server, tech, s: await newSession(tech.token) };
}
/** The i-th PIN that is not `pin`. */
const wrongPin = (pin: string | null, i = 0) => String((Number(pin) + i + 1) % 1_000_000).padStart(6, "0");
const sessionOf = async (token: string, id: string) => Session.parse((await server!.api("GET", `/api/v1/sessions/${id}`, { token })).body);
const logEvents = async (token: string, id: string) =>
  (await server!.api("GET", `/api/v1/sessions/${id}/log`, { token })).body.map((e: { event: string }) => e.event);

describe("customer WebSocket", () => {
  it("joins, grants devices, accepts the EULA: the session becomes waiting and the PIN is gone", async () => {
    const { server, tech, s } = await technicianWithSession({ iceServers: [{ urls: "stun:127.0.0.1:3478" }] });
    const c = await customer();
    c.send({ type: "join", pin: s.pin, name: "Jane Doe" });
    const joined = ServerToCustomer.parse(await c.next("joined"));
    expect(joined).toMatchObject({ type: "joined", sessionId: s.id, sessionType: "lens", recorded: true, iceServers: [{ urls: "stun:127.0.0.1:3478" }] });
    expect(joined.type === "joined" && joined.eula.length).toBeGreaterThan(20);
    expect(await c.next("status")).toEqual({ type: "status", status: "connecting" });
    const afterJoin = await sessionOf(tech.token, s.id);
    expect(afterJoin).toMatchObject({ pin: null, links: null, status: "connecting", customer: { camera: false, microphone: false, eulaAcceptedAt: null } });

    // The same PIN cannot be used again.
    const again = await customer();
    again.send({ type: "join", pin: s.pin });
    expect((await again.closed).code).toBe(WS_CLOSE.invalidPin);

    c.send({ type: "devices", camera: true, microphone: false });
    c.send({ type: "eula", accepted: true });
    expect(await c.next("status")).toEqual({ type: "status", status: "waiting" });
    const waiting = await sessionOf(tech.token, s.id);
    expect(waiting.status).toBe("waiting");
    expect(waiting.customer).toMatchObject({ camera: true, microphone: false });
    expect(waiting.customer!.eulaAcceptedAt).not.toBeNull();
    await server.api("POST", `/api/v1/sessions/${s.id}/start`, { token: tech.token });
    expect(await c.next("status")).toEqual({ type: "status", status: "active" });
    expect(await logEvents(tech.token, s.id)).toEqual(["created", "pin-issued", "customer-connected", "devices-granted", "eula-accepted", "started"]);
  });

  it("refuses steps out of order and changes nothing", async () => {
    const { server, tech, s } = await technicianWithSession();

    const early = await customer();
    early.send({ type: "eula", accepted: true });
    expect(await early.closed).toEqual({ code: WS_CLOSE.badMessage, reason: "the first message must be join or resume" });
    expect((await sessionOf(tech.token, s.id)).pin).toBe(s.pin);

    const c = await customer();
    c.send({ type: "join", pin: s.pin });
    await c.next("joined");
    expect((await c.next("status")).status).toBe("connecting");
    c.send({ type: "eula", accepted: true });
    expect((await c.next("error")).message).toMatch(/devices before/);
    c.send({ type: "signal", signal: { kind: "offer", sdp: "v=0" } });
    expect((await c.next("error")).message).toMatch(/EULA/);
    c.send({ type: "chat", text: "hello?" });
    expect((await c.next("error")).message).toMatch(/EULA/);
    expect((await sessionOf(tech.token, s.id)).status).toBe("connecting");
    c.send({ type: "devices", camera: true, microphone: true });
    c.send({ type: "eula", accepted: true });
    expect((await c.next("status")).status).toBe("waiting");
    c.send({ type: "eula", accepted: false });
    expect((await c.next("error")).message).toMatch(/already/);
    c.send({ type: "devices", camera: false, microphone: false });
    expect((await c.next("error")).message).toMatch(/before the EULA/);
    expect((await sessionOf(tech.token, s.id)).status).toBe("waiting");
    expect(await logEvents(tech.token, s.id)).toEqual(["created", "pin-issued", "customer-connected", "devices-granted", "eula-accepted"]);
  });

  it("logs a refusal of both devices as devices-denied, and a grant after Try again as devices-granted", async () => {
    const { server, tech, s } = await technicianWithSession();
    const c = await customer();
    c.send({ type: "join", pin: s.pin });
    await c.next("joined");
    c.send({ type: "devices", camera: false, microphone: false });
    c.send({ type: "devices", camera: true, microphone: true });
    c.send({ type: "eula", accepted: true });
    expect((await c.next("status")).status).toBe("connecting");
    expect((await c.next("status")).status).toBe("waiting");
    const log = (await server.api("GET", `/api/v1/sessions/${s.id}/log`, { token: tech.token })).body as { event: string; camera?: boolean }[];
    const devices = log.filter((e) => e.event.startsWith("devices-"));
    expect(devices).toMatchObject([
      { event: "devices-denied", camera: false, microphone: false },
      { event: "devices-granted", camera: true, microphone: true },
    ]);
  });

  it("a declined EULA ends the session as declined", async () => {
    const { server, tech, s } = await technicianWithSession();
    const c = await customer();
    c.send({ type: "join", pin: s.pin });
    await c.next("joined");
    c.send({ type: "devices", camera: true, microphone: true });
    c.send({ type: "eula", accepted: false });
    expect((await c.next("status", 5000)).status).toBe("connecting");
    expect((await c.next("status")).status).toBe("declined");
    expect((await c.closed).code).toBe(WS_CLOSE.sessionEnded);
    expect((await sessionOf(tech.token, s.id)).status).toBe("declined");
    expect((await logEvents(tech.token, s.id)).slice(-1)).toEqual(["eula-declined"]);
  });

  it("a customer who leaves aborts the live session at once", async () => {
    const { server, tech, s } = await technicianWithSession();
    const c = await customerReady(server, s.pin!);
    await server.api("POST", `/api/v1/sessions/${s.id}/start`, { token: tech.token });
    c.send({ type: "leave" });
    await c.closed;
    await expect.poll(async () => (await sessionOf(tech.token, s.id)).status).toBe("aborted");
    expect((await logEvents(tech.token, s.id)).slice(-2)).toEqual(["customer-disconnected", "aborted"]);
  });

  it("with no grace period a dropped customer socket aborts the session at once", async () => {
    const { server, tech, s } = await technicianWithSession({ customerGraceMs: 0 });
    const c = await customerReady(server, s.pin!);
    await server.api("POST", `/api/v1/sessions/${s.id}/start`, { token: tech.token });
    await c.close();
    await expect.poll(async () => (await sessionOf(tech.token, s.id)).status).toBe("aborted");
  });

  it("refuses text with terminal escape sequences (chat, names): they would reach technicians' terminals", async () => {
    const { server, tech, s } = await technicianWithSession();
    const c = await customerReady(server, s.pin!);
    each.keep(c);
    c.send({ type: "chat", text: "\u001b[2J\u001b[31mFAKE: technician approved\u001b]0;pwned\u0007" });
    expect((await c.closed).code).toBe(WS_CLOSE.badMessage);
    const named = await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin", name: "Evil\u001b[31mRED" } });
    expect(named.status).toBe(400);
    expect((await logEvents(tech.token, s.id))).not.toContain("chat");
  });

  it("refuses wrong and expired PINs with the same close", async () => {
    let offsetMs = 0;
    const { server, tech, s } = await technicianWithSession({ now: () => new Date(Date.now() + offsetMs) });
    const wrong = await customer();
    wrong.send({ type: "join", pin: wrongPin(s.pin) });
    const wrongClose = await wrong.closed;
    offsetMs = 21 * 60_000;
    const expired = await customer();
    expired.send({ type: "join", pin: s.pin });
    const expiredClose = await expired.closed;
    expect(wrongClose.code).toBe(WS_CLOSE.invalidPin);
    expect(expiredClose).toEqual(wrongClose);
    expect((await sessionOf(tech.token, s.id)).status).toBe("timed-out");
  });

  it("throttles PIN guessing per address", async () => {
    const { server, tech, s } = await technicianWithSession({ limits: { pins: { perSource: { burst: 3, windowMs: 60_000 } } } });
    for (let i = 0; i < 3; i++) {
      const c = await customer();
      c.send({ type: "join", pin: wrongPin(s.pin, i) });
      expect((await c.closed).code).toBe(WS_CLOSE.invalidPin);
    }
    // Even the right PIN is refused from that address now: it learns nothing more ...
    const blocked = await customer();
    blocked.send({ type: "join", pin: s.pin });
    expect((await blocked.closed).code).toBe(WS_CLOSE.rateLimited);
    // ... but another address still joins.
    const other = await customer({ localAddress: "127.0.0.2" });
    other.send({ type: "join", pin: s.pin });
    expect((await other.next("joined")).sessionId).toBe(s.id);
  });

  it("closes malformed and oversized messages with a code, and keeps serving", async () => {
    server = await each.start();
    const tech = await server.technician(LENS);
    const bad = await customer();
    bad.send("{nope");
    expect(await bad.closed).toEqual({ code: WS_CLOSE.badMessage, reason: "malformed JSON" });
    const shape = await customer();
    shape.send({ type: "join", pin: "12ab56" });
    const shapeClose = await shape.closed;
    expect(shapeClose.code).toBe(WS_CLOSE.badMessage);
    expect(shapeClose.reason).toMatch(/pin/);
    const binary = await customer();
    binary.ws.send(Buffer.from([1, 2, 3]));
    expect((await binary.closed).code).toBe(WS_CLOSE.badMessage);
    const big = await customer();
    big.send({ type: "join", pin: "123456", name: "x".repeat(MAX_MESSAGE_BYTES) });
    expect((await big.closed).code).toBe(1009);
    const t = await technicianWs(tech.token);
    await t.next("sessions");
    t.send({ type: "signal", sessionId: "x", signal: { kind: "offer" } });
    expect((await t.closed).code).toBe(WS_CLOSE.badMessage);
    // Still serving.
    const s = await newSession(tech.token);
    const ok = await customerReady(server, s.pin!);
    each.keep(ok);
  });

  it("closes a socket that never joins", async () => {
    server = await each.start({ joinTimeoutMs: 100 });
    const c = await customer();
    expect(await c.closed).toEqual({ code: WS_CLOSE.badMessage, reason: "join expected" });
  });
});

describe("technician WebSocket", () => {
  it("refuses a bad token with unauthenticated", async () => {
    server = await each.start();
    const t = await technicianWs("A".repeat(43));
    expect((await t.closed).code).toBe(WS_CLOSE.unauthenticated);
    const none = await openTechnicianWs(server, "");
    each.keep(none);
    expect((await none.closed).code).toBe(WS_CLOSE.unauthenticated);
  });

  it("sends hello and a snapshot, then every change of the technician's sessions only", async () => {
    const { server, tech, s: existing } = await technicianWithSession();
    const other = await server.technician(LENS);
    const t = await technicianWs(tech.token);
    const hello = ServerToTechnician.parse(await t.next());
    expect(hello).toMatchObject({ type: "hello", technician: { email: tech.email } });
    const snap = ServerToTechnician.parse(await t.next());
    expect(snap.type === "sessions" && snap.sessions.map((s) => s.id)).toEqual([existing.id]);

    await newSession(other.token);
    const s = await newSession(tech.token);
    const pushed = ServerToTechnician.parse(await t.next("session"));
    expect(pushed.type === "session" && pushed.session.id).toBe(s.id);
    const c = await customerReady(server, s.pin!);
    each.keep(c);
    const statuses: string[] = [];
    while (statuses.at(-1) !== "waiting") {
      const m = ServerToTechnician.parse(await t.next("session"));
      if (m.type === "session" && m.session.id === s.id) statuses.push(m.session.status);
    }
    expect(statuses).toContain("waiting");
    // Logout closes the token's sockets.
    await server.api("POST", "/api/v1/auth/logout", { token: tech.token });
    expect((await t.closed).code).toBe(WS_CLOSE.unauthenticated);
  });

  it("relays signals only between the session's own customer and technician", async () => {
    const { server, tech, s } = await technicianWithSession();
    const intruder = await server.technician(LENS);
    const older = await technicianWs(tech.token);
    await older.next("sessions");
    // A second connection of the same technician replaces the first openly: no two daemons answer one offer.
    const t = await technicianWs(tech.token);
    const x = await technicianWs(intruder.token);
    await Promise.all([t.next("sessions"), x.next("sessions")]);
    expect(await older.closed).toEqual({ code: WS_CLOSE.replaced, reason: expect.stringMatching(/^signed in elsewhere/) });
    const c = await customerReady(server, s.pin!);
    each.keep(c);

    c.send({ type: "signal", signal: { kind: "offer", sdp: "v=0 offer" } });
    expect(await t.next("signal")).toEqual({ type: "signal", sessionId: s.id, signal: { kind: "offer", sdp: "v=0 offer" } });

    x.send({ type: "signal", sessionId: s.id, signal: { kind: "answer", sdp: "evil" } });
    expect((await x.next("error")).code).toBe("not_found");
    t.send({ type: "signal", sessionId: s.id, signal: { kind: "answer", sdp: "v=0 answer" } });
    const candidate = { kind: "candidate", candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0 } };
    t.send({ type: "signal", sessionId: s.id, signal: candidate });
    expect(await c.next("signal")).toEqual({ type: "signal", signal: { kind: "answer", sdp: "v=0 answer" } });
    expect(await c.next("signal")).toEqual({ type: "signal", signal: candidate });
    await expect(x.next("signal", 200)).rejects.toThrow();

    // A session without an accepted customer takes no signals.
    const fresh = await newSession(tech.token);
    t.send({ type: "signal", sessionId: fresh.id, signal: { kind: "answer", sdp: "v=0" } });
    expect((await t.next("error")).code).toBe("conflict");
  });

  it("relays chat both ways and logs media events", async () => {
    const { server, tech, s } = await technicianWithSession();
    const t = await technicianWs(tech.token);
    await t.next("sessions");
    const c = await customerReady(server, s.pin!);
    each.keep(c);
    c.send({ type: "chat", text: "my camera is on" });
    expect((await t.next("chat")).message).toMatchObject({ sessionId: s.id, from: "customer", author: "Test Customer", text: "my camera is on" });
    // Both sides get every chat line, their own included.
    expect((await c.next("chat")).message.text).toBe("my camera is on");
    t.send({ type: "chat", sessionId: s.id, text: "I can see it" });
    expect((await c.next("chat")).message).toMatchObject({ from: "technician", author: tech.email, text: "I can see it" });
    await server.api("POST", `/api/v1/sessions/${s.id}/start`, { token: tech.token });
    t.send({ type: "media", sessionId: s.id, event: "recording-started", detail: { path: "/tmp/x.webm" } });
    await expect.poll(() => logEvents(tech.token, s.id)).toContain("recording-started");
    const log = (await server.api("GET", `/api/v1/sessions/${s.id}/log`, { token: tech.token })).body;
    expect(log.find((e: { event: string }) => e.event === "recording-started")).toMatchObject({ path: "/tmp/x.webm", by: tech.email });
    expect(log.filter((e: { event: string }) => e.event === "chat").map((e: { text: string }) => e.text)).toEqual(["my camera is on", "I can see it"]);
  });

  it("the customer's pause and resume are logged and pushed to the technician on the session", async () => {
    const { server, tech, s } = await technicianWithSession();
    const t = await technicianWs(tech.token);
    await t.next("sessions");
    const early = await customer();
    early.send({ type: "join", pin: s.pin, name: "Jane" });
    await early.next("joined");
    early.send({ type: "media", state: "paused" });
    expect(await early.next("error")).toMatchObject({ code: "conflict", message: expect.stringMatching(/EULA/) });
    early.send({ type: "devices", camera: true, microphone: true });
    early.send({ type: "eula", accepted: true });
    const pausedOf = async () => {
      for (;;) {
        const m = ServerToTechnician.parse(await t.next("session"));
        if (m.type === "session" && m.session.id === s.id && m.session.status === "waiting") return m.session.customer!.paused;
      }
    };
    expect(await pausedOf()).toBe(false);
    early.send({ type: "media", state: "paused" });
    expect(await pausedOf()).toBe(true);
    expect((await sessionOf(tech.token, s.id)).customer!.paused).toBe(true);
    // A repeat changes nothing; resuming does.
    early.send({ type: "media", state: "paused" });
    early.send({ type: "media", state: "resumed" });
    expect(await pausedOf()).toBe(false);
    expect((await logEvents(tech.token, s.id)).filter((e: string) => e.startsWith("customer-"))).toEqual(["customer-connected", "customer-paused", "customer-resumed"]);
  });

  it("refuses chat over the socket without the chat permission", async () => {
    server = await each.start();
    const tech = await server.technician(["lens", "private", "pin"]);
    const s = await newSession(tech.token);
    const t = await technicianWs(tech.token);
    await t.next("sessions");
    t.send({ type: "chat", sessionId: s.id, text: "hi" });
    const err = await t.next("error");
    expect(err.code).toBe("forbidden");
    expect(err.message).toContain("chat");
  });
});
