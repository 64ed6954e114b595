import { describe, expect, it } from "vitest";
import { ServerToCustomer, Session, WS_CLOSE, type Permission } from "../../src/protocol/index.js";
import { customerReady, openCustomerWs, openTechnicianWs, serverPerTest, type TestServer, type WsProbe } from "../helpers/server.js";

// A customer whose connection drops (page reload, Wi-Fi to LTE, a socket cut for a second) comes
// back into the same session with the resume credential from `joined`, within the grace period.

const each = serverPerTest();
let server: TestServer | undefined;

const LENS: Permission[] = ["lens", "private", "pin", "chat", "record"];

async function liveSession(opts: Parameters<typeof each.start>[0] = {}) {
  server = await each.start(opts);
  const tech = await server.technician(LENS);
  const s = Session.parse((await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin", name: "Jane" } })).body);
  const c = await customerReady(server, s.pin!);
  each.keep(c);
  await server.api("POST", `/api/v1/sessions/${s.id}/start`, { token: tech.token });
  expect((await c.next("status")).status).toBe("active");
  return { tech, s, c, token: c.joined.resume.token as string };
}

const sessionOf = async (token: string, id: string) => Session.parse((await server!.api("GET", `/api/v1/sessions/${id}`, { token })).body);
const logOf = async (token: string, id: string) => (await server!.api("GET", `/api/v1/sessions/${id}/log`, { token })).body as { event: string; [k: string]: unknown }[];

async function resume(sessionId: string, token: string): Promise<WsProbe> {
  const c = await openCustomerWs(server!);
  each.keep(c);
  c.send({ type: "resume", sessionId, token });
  return c;
}

describe("customer resume", () => {
  it("gives the customer a resume credential with the grace period", async () => {
    const { c } = await liveSession({ customerGraceMs: 45_000 });
    const joined = ServerToCustomer.parse(c.joined);
    expect(joined).toMatchObject({ type: "joined", resume: { graceMs: 45_000 } });
    expect(c.joined.resume.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("a dropped socket leaves the session running; the customer resumes into it and signalling follows them", async () => {
    const { tech, s, c, token } = await liveSession();
    const lead = await openTechnicianWs(server!, tech.token);
    each.keep(lead);
    await lead.next("sessions");

    c.ws.terminate();
    await expect.poll(async () => (await sessionOf(tech.token, s.id)).customer?.away, { timeout: 10_000 }).toBeTruthy();
    const away = await sessionOf(tech.token, s.id);
    expect(away.status).toBe("active");
    expect(Date.parse(away.customer!.away!.until) - Date.parse(away.customer!.away!.since)).toBe(120_000);
    expect((await logOf(tech.token, s.id)).at(-1)).toMatchObject({ event: "customer-disconnected", graceMs: 120_000 });

    const back = await resume(s.id, token);
    const joined = await back.next("joined");
    expect(joined).toMatchObject({ sessionId: s.id, resumed: true });
    expect(joined.resume.token).not.toBe(token);
    expect(await back.next("status")).toEqual({ type: "status", status: "active" });
    const after = await sessionOf(tech.token, s.id);
    expect(after.status).toBe("active");
    expect(after.customer?.away ?? null).toBeNull();
    expect((await logOf(tech.token, s.id)).at(-1)).toMatchObject({ event: "customer-reconnected", afterMs: expect.any(Number) });

    // The resumed socket is the session's customer: the lead's signals reach it, and its own reach the lead.
    lead.send({ type: "signal", sessionId: s.id, signal: { kind: "answer", sdp: "v=0" } });
    expect((await back.next("signal")).signal).toEqual({ kind: "answer", sdp: "v=0" });
    back.send({ type: "signal", signal: { kind: "offer", sdp: "v=0 again" } });
    expect((await lead.next("signal")).signal).toEqual({ kind: "offer", sdp: "v=0 again" });
  });

  it("a credential works once: the old one is refused after a resume, as is a made-up one", async () => {
    const { s, c, token } = await liveSession();
    c.ws.terminate();
    const back = await resume(s.id, token);
    await back.next("joined");

    const replay = await resume(s.id, token);
    expect((await replay.closed).code).toBe(WS_CLOSE.invalidPin);
    const forged = await resume(s.id, "A".repeat(43));
    expect((await forged.closed).code).toBe(WS_CLOSE.invalidPin);
    // Another session's id with this session's credential: refused too.
    const elsewhere = await resume("00000000-0000-4000-8000-000000000000", token);
    expect((await elsewhere.closed).code).toBe(WS_CLOSE.invalidPin);
  });

  it("a customer whose network spent its PIN budget (a guesser behind the same address) still resumes", async () => {
    const { tech, s, c, token } = await liveSession({ limits: { pins: { perSource: { burst: 3, windowMs: 3_600_000 } } } });
    c.ws.terminate();
    for (let i = 0; i < 4; i++) {
      const guess = await openCustomerWs(server!);
      each.keep(guess);
      guess.send({ type: "join", pin: String((Number(s.pin ?? 0) + i + 1) % 1_000_000).padStart(6, "0") });
      await guess.closed;
    }
    const throttled = await openCustomerWs(server!);
    each.keep(throttled);
    throttled.send({ type: "join", pin: "000000" });
    expect((await throttled.closed).code).toBe(WS_CLOSE.rateLimited);
    const back = await resume(s.id, token);
    expect(await back.next("joined")).toMatchObject({ sessionId: s.id, resumed: true });
    expect((await sessionOf(tech.token, s.id)).status).toBe("active");
    // Stale or forged credentials spend no budget either: the next real customer is not refused for them.
    for (let i = 0; i < 5; i++) expect((await (await resume(s.id, "B".repeat(43))).closed).code).toBe(WS_CLOSE.invalidPin);
  });

  it("a resume while the old socket still looks open replaces it: the drop is told before the return; closing the old one marks nobody away", async () => {
    const { tech, s, c, token } = await liveSession();
    const back = await resume(s.id, token);
    await back.next("joined");
    expect((await c.closed).code).toBe(WS_CLOSE.replaced);
    await new Promise((r) => setTimeout(r, 300));
    expect((await sessionOf(tech.token, s.id)).customer?.away ?? null).toBeNull();
    const events = (await logOf(tech.token, s.id)).map((e) => e.event);
    expect(events.filter((e) => e === "customer-disconnected")).toHaveLength(1);
    expect(events.slice(-2)).toEqual(["customer-disconnected", "customer-reconnected"]);
  });

  it("a return no server saw coming (the customer's node died) is told as a drop, an away push, then the return with the server's gap", async () => {
    const { tech, s, c, token } = await liveSession();
    const lead = await openTechnicianWs(server!, tech.token);
    each.keep(lead);
    await lead.next("sessions");
    // Nothing marked the customer away: the socket that held them is gone without a close here.
    c.send({ type: "ping" });
    await c.next("pong");
    const lastContact = Date.now();
    const back = await openCustomerWs(server!);
    each.keep(back);
    back.send({ type: "resume", sessionId: s.id, token, awayMs: 2_345 });
    const joined = await back.next("joined");
    // The technician's socket hears the customer away, then back, in that order.
    const away = Session.parse((await lead.next("session")).session);
    expect(away.customer?.away).toBeTruthy();
    expect(Date.parse(away.customer!.away!.until) - Date.parse(away.customer!.away!.since)).toBe(120_000);
    const returned = Session.parse((await lead.next("session")).session);
    expect(returned.customer?.away ?? null).toBeNull();
    const log = await logOf(tech.token, s.id);
    expect(log.slice(-2).map((e) => e.event)).toEqual(["customer-disconnected", "customer-reconnected"]);
    expect(log.at(-2)).toMatchObject({ graceMs: 120_000, reason: expect.stringContaining("unnoticed") });
    // The gap is the server's, from the old socket's last message (the ping); the customer's figure is only shown.
    expect(log.at(-1)!.afterMs as number).toBeLessThanOrEqual(Date.now() - lastContact + 1_000);
    expect(log.at(-1)!.reportedAwayMs).toBe(2_345);

    // A claim past the grace period (when the customer could no longer have come back) is shown as the grace period.
    back.ws.terminate();
    await expect.poll(async () => (await sessionOf(tech.token, s.id)).customer?.away, { timeout: 10_000 }).toBeTruthy();
    const dropped = Date.now();
    const again = await openCustomerWs(server!);
    each.keep(again);
    again.send({ type: "resume", sessionId: s.id, token: joined.resume.token, awayMs: 3_600_000 });
    expect(await again.next("joined")).toMatchObject({ resumed: true });
    const after = await logOf(tech.token, s.id);
    expect(after.slice(-2).map((e) => e.event)).toEqual(["customer-disconnected", "customer-reconnected"]);
    expect(after.at(-1)!.afterMs as number).toBeLessThanOrEqual(Date.now() - dropped + 1_000);
    expect(after.at(-1)!.reportedAwayMs).toBe(120_000);
  });

  it("the customer's awayMs is checked at the edge: a forged figure is refused without spending the credential, and only ever logged, bounded", async () => {
    const { tech, s, c, token } = await liveSession({ customerGraceMs: 30_000 });
    c.ws.terminate();
    await expect.poll(async () => (await sessionOf(tech.token, s.id)).customer?.away, { timeout: 10_000 }).toBeTruthy();
    const before = (await logOf(tech.token, s.id)).length;
    // Negative, fractional, past a day, not a number, a huge number, an object: each closes the socket as a bad message.
    for (const awayMs of [-1, 1.5, 86_400_001, "1000", 1e308, { ms: 1 }]) {
      const forged = await openCustomerWs(server!);
      each.keep(forged);
      forged.send({ type: "resume", sessionId: s.id, token, awayMs });
      expect((await forged.closed).code, JSON.stringify(awayMs)).toBe(WS_CLOSE.badMessage);
    }
    // Nothing was logged for them, the customer is still away, and the real credential still works.
    expect((await logOf(tech.token, s.id)).length).toBe(before);
    expect((await sessionOf(tech.token, s.id)).customer?.away).toBeTruthy();
    const back = await openCustomerWs(server!);
    each.keep(back);
    back.send({ type: "resume", sessionId: s.id, token, awayMs: 86_400_000 });
    const joined = await back.next("joined");
    expect(joined).toMatchObject({ resumed: true });
    const last = (await logOf(tech.token, s.id)).at(-1)!;
    // A day claimed within a 30 s grace period: the log keeps the bound, and the gap is the server's own.
    expect(last).toMatchObject({ event: "customer-reconnected", reportedAwayMs: 30_000 });
    expect(last.afterMs as number).toBeLessThanOrEqual(30_000);
    // A resume without the figure logs none.
    back.ws.terminate();
    await expect.poll(async () => (await sessionOf(tech.token, s.id)).customer?.away, { timeout: 10_000 }).toBeTruthy();
    const again = await resume(s.id, joined.resume.token);
    await again.next("joined");
    const plain = (await logOf(tech.token, s.id)).at(-1)!;
    expect(plain.event).toBe("customer-reconnected");
    expect(plain).not.toHaveProperty("reportedAwayMs");
  });

  it("the attack: a forged awayMs cannot move afterMs, the server's own measure, whether the resume overtakes the old socket's close or follows it", async () => {
    const { tech, s, c, token } = await liveSession();
    const lead = each.keep(await openTechnicianWs(server!, tech.token));
    await lead.next("sessions");
    // A fast reconnect: the new socket arrives while the old one still looks open. The server last
    // heard the old socket at the ping's answer.
    c.send({ type: "ping" });
    await c.next("pong");
    const heardAt = Date.now();
    const fast = await openCustomerWs(server!);
    each.keep(fast);
    fast.send({ type: "resume", sessionId: s.id, token, awayMs: 86_400_000 });
    const joined = await fast.next("joined");
    const tookMs = Date.now() - heardAt;
    const first = (await logOf(tech.token, s.id)).at(-1)!;
    expect(first).toMatchObject({ event: "customer-reconnected", reportedAwayMs: 120_000 });
    expect(first.afterMs as number).toBeLessThanOrEqual(tookMs);
    // The away push's `since` is the server's too: not moved back by the claim.
    const away = Session.parse((await lead.next("session")).session);
    expect(Date.parse(away.customer!.away!.since)).toBeGreaterThanOrEqual(heardAt - 1_000);

    // A drop the server saw (the socket closed), then a resume claiming a day away.
    fast.ws.terminate();
    await expect.poll(async () => (await sessionOf(tech.token, s.id)).customer?.away, { timeout: 10_000 }).toBeTruthy();
    const since = Date.parse((await sessionOf(tech.token, s.id)).customer!.away!.since);
    const back = await openCustomerWs(server!);
    each.keep(back);
    back.send({ type: "resume", sessionId: s.id, token: joined.resume.token, awayMs: 86_400_000 });
    await back.next("joined");
    const second = (await logOf(tech.token, s.id)).at(-1)!;
    expect(second).toMatchObject({ event: "customer-reconnected", reportedAwayMs: 120_000 });
    expect(second.afterMs as number).toBeLessThanOrEqual(Date.parse(String(second.at)) - since);
    expect(second.afterMs as number).toBeLessThan(60_000);
  });

  it("after the grace period the session is aborted with the reason, nobody is away, and the returning customer is told it ended", async () => {
    const { tech, s, c, token } = await liveSession({ customerGraceMs: 1500 });
    c.ws.terminate();
    await expect.poll(async () => (await sessionOf(tech.token, s.id)).status, { timeout: 15_000 }).toBe("aborted");
    expect((await logOf(tech.token, s.id)).at(-1)).toMatchObject({ event: "aborted", reason: "the customer did not come back within 2 s" });
    // Nobody is away from an ended session, in its view or in the list.
    expect((await sessionOf(tech.token, s.id)).customer?.away).toBeNull();
    const listed = Session.array().parse((await server!.api("GET", "/api/v1/sessions", { token: tech.token })).body);
    expect(listed.find((x) => x.id === s.id)?.customer?.away).toBeNull();
    // The customer who comes back is told the session ended, and why; a made-up credential learns nothing.
    const late = await resume(s.id, token);
    expect(await late.closed).toEqual({ code: WS_CLOSE.sessionEnded, reason: "the session has ended: the customer did not come back within 2 s" });
    const forged = await resume(s.id, "A".repeat(43));
    expect(await forged.closed).toEqual({ code: WS_CLOSE.invalidPin, reason: "this session cannot be resumed (ended, or the link is no longer valid)" });
  });

  it("a customer who comes back after the grace period but before the sweep ran is told the session ended", async () => {
    const { tech, s, c, token } = await liveSession({ customerGraceMs: 1500 });
    c.ws.terminate();
    await expect.poll(async () => (await sessionOf(tech.token, s.id)).customer?.away, { timeout: 10_000 }).toBeTruthy();
    // Past the grace period the resume itself aborts the session (whichever of it and the timer comes first).
    await new Promise((r) => setTimeout(r, 1600));
    const late = await resume(s.id, token);
    expect(await late.closed).toEqual({ code: WS_CLOSE.sessionEnded, reason: "the session has ended: the customer did not come back within 2 s" });
    expect(await sessionOf(tech.token, s.id)).toMatchObject({ status: "aborted", customer: { away: null } });
  });

  it("Disconnect on the page (leave) ends the session at once; there is nothing to resume", async () => {
    const { tech, s, c, token } = await liveSession();
    c.send({ type: "leave" });
    await expect.poll(async () => (await sessionOf(tech.token, s.id)).status).toBe("aborted");
    expect((await logOf(tech.token, s.id)).at(-1)).toMatchObject({ event: "aborted", reason: "the customer ended the session" });
    const back = await resume(s.id, token);
    expect(await back.closed).toEqual({ code: WS_CLOSE.sessionEnded, reason: "the session has ended: the customer ended the session" });
  });

  it("a customer reloaded before accepting the EULA comes back to report devices and accept", async () => {
    server = await each.start();
    const tech = await server.technician(LENS);
    const s = Session.parse((await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin" } })).body);
    const c = await openCustomerWs(server);
    each.keep(c);
    c.send({ type: "join", pin: s.pin });
    const joined = await c.next("joined");
    // The camera was refused first; the customer allowed it and tried again.
    c.send({ type: "devices", camera: false, microphone: false });
    c.send({ type: "devices", camera: true, microphone: true });
    c.ws.terminate();
    const back = await resume(s.id, joined.resume.token);
    await back.next("joined");
    expect((await back.next("status")).status).toBe("connecting");
    back.send({ type: "devices", camera: true, microphone: true });
    back.send({ type: "eula", accepted: true });
    for (;;) if ((await back.next("status")).status === "waiting") break;
    const log = (await logOf(tech.token, s.id)).filter((e) => e.event === "devices-granted" || e.event === "devices-denied");
    expect(log.map((e) => [e.event, e.camera])).toEqual([["devices-denied", false], ["devices-granted", true], ["devices-granted", true]]);
  });

  it("the lead asks the customer's device for a new offer (reoffer); a stranger cannot", async () => {
    const { tech, s, c: customerSocket } = await liveSession();
    const lead = await openTechnicianWs(server!, tech.token);
    each.keep(lead);
    await lead.next("sessions");
    lead.send({ type: "reoffer", sessionId: s.id });
    expect(await customerSocket.next("peer")).toEqual({ type: "peer", peer: "lead", event: "joined" });

    const other = await server!.technician(LENS);
    const stranger = await openTechnicianWs(server!, other.token);
    each.keep(stranger);
    await stranger.next("sessions");
    stranger.send({ type: "reoffer", sessionId: s.id });
    expect(await stranger.next("error")).toMatchObject({ code: "not_found" });
    await expect(customerSocket.next("peer", 500)).rejects.toThrow();
  });
});
